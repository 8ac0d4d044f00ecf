"""A tool-use set in miniature: every prompt starts with the same long tool description (the case
of issue 13), the requests after it are short and distinct, and a few real duplicates are planted."""

PREAMBLE = ("You are an assistant with access to the following tools. search_flights(origin, destination, date): "
            "returns available flights with prices. book_hotel(city, check_in, nights): reserves a room and returns "
            "a confirmation number. get_weather(city, date): returns the forecast. Call a tool by replying with its "
            "name and arguments as JSON, then answer the user.\n\nUser request: ")
VERBS = ["book", "cancel", "compare", "find", "reschedule", "price", "plan", "check"]
THINGS = ["a flight to Lisbon", "two hotel nights in Oslo", "the weather in Cairo", "a train to Vienna",
          "a rental car in Denver"]
WHEN = ["tomorrow morning", "next Friday", "before the conference in May", "for my parents' anniversary",
        "this weekend", "after the holidays", "on the 3rd of June"]


def request(i: int) -> str:
    return f"Please {VERBS[i % 8]} {THINGS[i % 5]} {WHEN[i % 7]}."


def rows(n: int = 35):
    """(id, prompt, response): n distinct requests (any two share at most one of thing and time while
    n <= 35), then the planted duplicates:
    d-exact (an exact copy of r5), d-near (r3 with a short addition), d-edit (r7, one word changed)."""
    out = [(f"r{i}", PREAMBLE + request(i), f"Calling the tool for request {i}.") for i in range(n)]
    out.append(("d-exact", PREAMBLE + request(5), "Calling the tool for request 5."))
    out.append(("d-near", PREAMBLE + request(3) + " Thanks!", "Calling the tool for request 3."))
    out.append(("d-edit", PREAMBLE + request(7).replace("Please", "Kindly"), "Calling the tool for request 7."))
    return out


PLANTED = {"d-exact": ("exact", "r5"), "d-near": ("near", "r3"), "d-edit": ("near", "r7")}
