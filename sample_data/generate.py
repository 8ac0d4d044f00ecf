#!/usr/bin/env python3
"""Generate the synthetic sample data used by curate's tests, examples and docs.

Run it from the repository root (it writes into the folder this script lives in):

    python sample_data/generate.py

Everything is written from templates and slot values in this file (no public dataset text),
with one seeded generator, ``random.Random(20261121)``: running it twice gives byte-identical
files. The script checks its own invariants (clean records are clean and diverse, planted
problems are what the answer key says) and exits non-zero if one does not hold.

Files written next to this script:

    support_sft.jsonl         chat-format customer-support SFT set (train) with planted problems
    support_eval.jsonl        eval set in the same format, with planted train->eval leakage
    production_queries.jsonl  reference set of production user questions (coverage gaps planted)
    intents_train.csv         intent classification train split (label noise planted)
    intents_test.csv          intent classification test split (leakage planted)
    answer_key.json           machine-readable key of every planted problem
    README.md                 the human answer key

Stdlib only.
"""

from __future__ import annotations

import copy
import csv
import difflib
import json
import os
import random
import re
import string
import sys
import unicodedata

SEED = 20261121
HERE = os.path.dirname(os.path.abspath(__file__))

# Similarity definition shared by every check in this file (and documented in README/answer key).
SHINGLE_N = 5
CLEAN_MAX_JACCARD = 0.5  # required: no two checked records at or above this
GEN_MAX_JACCARD = 0.4  # used while generating, to leave headroom for mutations
NEAR_DUP_MIN_JACCARD = 0.7

# ---------------------------------------------------------------------------------------------
# Slot values
# ---------------------------------------------------------------------------------------------

MERCHANTS = [
    "Brightmart", "Cornerstone Grocers", "Northside Fuel", "Pixel Palace", "Harbor Coffee",
    "Maple Street Pharmacy", "UrbanRide", "Green Basket Market", "Summit Outdoor",
    "Bluewave Telecom", "FitLife Gym", "Quickship", "Lumen Electronics", "Riverside Books",
    "Copperpot Kitchen", "Velvet Cinema", "Orchard Home Goods", "Trailhead Sports",
    "Sunny Side Diner", "CloudNest Hotels", "Parkway Hardware", "Blue Lantern Noodles",
]
TIME_AGO = [
    "yesterday", "this morning", "last night", "two days ago", "earlier today", "last week",
    "on Monday", "on Friday", "over the weekend", "a few days ago", "on Tuesday evening",
    "on Sunday afternoon", "three days ago",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
DEVICES = [
    "iPhone 13", "iPhone 14", "iPhone 15", "Pixel 7", "Pixel 8", "Galaxy S22", "Galaxy S23",
    "Galaxy A54", "OnePlus 11", "Moto G Power", "iPhone SE",
]
OS_VERSIONS = ["iOS 17", "iOS 17.4", "iOS 16", "Android 14", "Android 13"]
COUNTRIES = [
    "Mexico", "Canada", "the UK", "Germany", "Japan", "Spain", "Portugal", "France", "Italy",
    "India", "Brazil", "the Philippines", "Australia", "Ireland", "the Netherlands",
]
CURRENCIES = [
    "euros", "British pounds", "Japanese yen", "Mexican pesos", "Canadian dollars",
    "Swiss francs", "Australian dollars",
]
GOALS = [
    "a holiday", "a new laptop", "an emergency fund", "car repairs", "a wedding",
    "holiday gifts", "a deposit on an apartment", "a new bike", "concert tickets",
    "a family trip", "a new sofa",
]
BILLS = [
    "electricity bill", "phone bill", "internet bill", "car insurance", "water bill",
    "credit card bill", "rent", "gas bill",
]
SUBSCRIPTIONS = [
    "StreamBox", "a music streaming service", "a meal kit service", "a cloud storage plan",
    "a news app", "FitLife Gym", "a language learning app", "a video game subscription",
]
NDAYS = ["three", "four", "five", "six", "eight", "ten", "twelve"]
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]
LATER_PLACES = ["at home", "in a coat pocket", "in your car", "in another bag"]
ITEMS = [
    "jacket", "pair of shoes", "coffee machine", "phone case", "desk lamp", "backpack",
    "blender", "pair of headphones", "winter coat", "set of towels",
]
DATE_DAYS = ["1st", "15th", "3rd", "20th", "28th", "10th"]


def _amount(rng):
    cents = rng.choice(["00", "49", "99", "%02d" % rng.randint(1, 98)])
    return "$%d.%s" % (rng.randint(4, 260), cents)


def _big_amount(rng):
    return "${:,}".format(rng.randrange(300, 4800, 50))


SLOTS = {
    "merchant": lambda r: r.choice(MERCHANTS),
    "time_ago": lambda r: r.choice(TIME_AGO),
    "weekday": lambda r: r.choice(WEEKDAYS),
    "device": lambda r: r.choice(DEVICES),
    "os": lambda r: r.choice(OS_VERSIONS),
    "country": lambda r: r.choice(COUNTRIES),
    "currency": lambda r: r.choice(CURRENCIES),
    "goal": lambda r: r.choice(GOALS),
    "bill": lambda r: r.choice(BILLS),
    "subscription": lambda r: r.choice(SUBSCRIPTIONS),
    "ndays": lambda r: r.choice(NDAYS),
    "month": lambda r: r.choice(MONTHS),
    "later_place": lambda r: r.choice(LATER_PLACES),
    "item": lambda r: r.choice(ITEMS),
    "date_day": lambda r: r.choice(DATE_DAYS),
    "error_code": lambda r: "E%d" % r.randint(100, 999),
    "amount": _amount,
    "big_amount": _big_amount,
}


def fill(template, rng):
    return re.sub(r"\{(\w+)\}", lambda m: SLOTS[m.group(1)](rng), template)


# ---------------------------------------------------------------------------------------------
# Generic conversation pieces
# ---------------------------------------------------------------------------------------------

SYSTEM_PROMPTS = [
    "You are Pennywise Assistant, a helpful customer support agent for the Pennywise banking app. Answer clearly and concisely.",
    "You are a friendly support assistant for Pennywise, a mobile banking and payments app. Never ask for full card numbers, PINs or passwords.",
    "You help Pennywise customers with questions about their accounts, cards and payments. Be accurate, polite and brief.",
    "You are the in-app support assistant for Pennywise. Give step-by-step guidance based on Pennywise features and policies.",
    "Act as a Pennywise customer support specialist. If you are unsure, direct the customer to the in-app chat team.",
    "You are a customer service assistant for the Pennywise app. Keep answers practical and say where to find things in the app.",
    "You are Pennywise's virtual support agent. Be warm and professional, and never request sensitive personal data.",
]
GREETINGS = [
    "Hi,", "Hello,", "Hey,", "Hi there,", "Good morning,", "Good afternoon,",
    "Hello Pennywise team,", "Hi team,", "Quick question.", "Hey there,", "Hello there,",
    "Good evening,",
]
SIGNOFFS = [
    "Thanks!", "Thanks in advance.", "Any help would be appreciated.", "Thank you.",
    "Appreciate it.", "Cheers.", "Thanks for your help.", "Please let me know.", "Many thanks.",
    "Thanks so much.", "Would really appreciate some help.",
]
OPENERS = [
    "Thanks for getting in touch.", "Happy to help with this.",
    "Thanks for reaching out about this.", "Good question.", "Thanks for the question.",
    "I can help with that.", "Sure, here's how it works.", "Thanks for checking with us first.",
    "Let me walk you through it.", "No problem at all.", "Thanks for the details.",
    "Great question, and it's an easy one to sort out.",
]
LIST_INTROS = [
    "Here's what to do:", "Here are the steps:", "Follow these steps:", "Here's how it works:",
    "Here's a quick rundown:", "Here's what I'd suggest:",
]
TIPS = [
    "You can find all of your card and account settings under the Profile tab in the app.",
    "Make sure you're running the latest version of the app so you see every option mentioned here.",
    "For your security, Pennywise will never ask for your full PIN, password or one-time codes.",
    "If anything looks different on your screen, pull down to refresh and the options should appear.",
    "You can also reach our support team through the chat in the Help section of the app.",
    "Everything described here works the same way in the iOS and Android versions of the app.",
    "If you can't find an option, the search bar at the top of the Help section can take you straight to it.",
    "You can always find this information again in the Help section of the app.",
    "The help centre inside the app has short guides if you'd like to read more about this.",
    "If you're on a slow connection, give the app a moment to load the latest details.",
]
CLOSERS = [
    "Let us know if there's anything else we can help with.", "Hope that helps!",
    "Is there anything else I can help you with today?",
    "Feel free to reply here if you have any other questions.",
    "We're here if you need anything else.", "I hope this sorts things out for you.",
    "Just reply if anything is unclear.", "Have a great rest of your day!",
    "Thanks again for banking with Pennywise.",
    "Don't hesitate to get back in touch if you need more help.",
    "Let me know how you get on.",
]
FOLLOWUP_PREFIXES = [
    "Thanks, that helps.", "Got it.", "Okay, thanks.", "Great, thank you.", "One more thing.",
    "Thanks!", "Perfect.", "That makes sense.", "Understood.", "Thanks for explaining.",
    "Cool, thanks.", "Alright.", "Okay.", "Appreciate it.", "Helpful, thanks.", "Sounds good.",
    "Thank you, that's clear.", "Right.",
]
FOLLOWUP_OPENERS = [
    "Good question.", "Sure.", "Of course.", "Happy to explain.", "Yes, good thing to check.",
    "Great question.", "Absolutely.", "Sure thing.",
]
ASSISTANT_GREETINGS = [
    "Hi! I'm the Pennywise assistant. How can I help you today?",
    "Hello and welcome to Pennywise support. What can I help you with?",
    "Hi there, thanks for contacting Pennywise. What would you like help with today?",
]

# ---------------------------------------------------------------------------------------------
# Topics. Policies are consistent across topics (the conflicting-answer pairs contradict them):
# Standard plan free, Plus $4.99 a month, out-of-network ATM $2.50, international transfer $4.99,
# FX markup 0.5% weekdays and 1% weekends, transfer limit $5,000 a day, savings 3.75% APY
# (4.25% on Plus), no overdraft fees, free standard card delivery and $15 express.
# ---------------------------------------------------------------------------------------------


def T(name, label, size, acks, contexts, questions, steps, followups, acts, states):
    return {
        "name": name, "label": label, "size": size, "acks": acks, "contexts": contexts,
        "questions": questions, "steps": steps, "followups": followups, "acts": acts,
        "states": states,
    }


TOPICS = [
    T("card_lost_stolen", "lost or stolen cards", 115,
      ["Sorry to hear your card has gone missing, so let's get it secured right away.",
       "I'm sorry you're dealing with this, and the good news is you can lock things down in a few taps.",
       "Thanks for flagging this quickly, because acting fast is the best way to protect your money."],
      ["I can't find my Pennywise card anywhere and I last used it at {merchant} {time_ago}.",
       "My wallet was stolen {time_ago} and my debit card was in it.",
       "I think I dropped my card somewhere between home and {merchant}.",
       "There are two payments on my account that I don't recognise, and now my card is missing.",
       "I left my card in a taxi {time_ago}.",
       "My bag was taken while I was travelling in {country}.",
       "I just noticed my physical card isn't in my wallet.",
       "My card went missing {time_ago} after I paid at {merchant}."],
      ["How do I freeze my card right away?", "What should I do first to protect my account?",
       "Can I block the card from the app, or do I need to call someone?",
       "Will I be refunded if someone used it before I noticed?",
       "How quickly can I get a replacement card?",
       "Is it better to freeze the card or cancel it completely?",
       "Can I keep paying with my phone while I wait for a new card?",
       "What happens to my scheduled payments if I cancel the card?",
       "Do I need to do anything else besides freezing it?"],
      ["Open the Pennywise app, tap Cards, and switch on Freeze card; this blocks new purchases and ATM withdrawals instantly.",
       "If you're sure the card is gone for good, choose Report lost or stolen so the card number is cancelled permanently.",
       "A freeze is temporary, so if the card turns up {later_place} you can unfreeze it from the same screen.",
       "Review your recent transactions and tap any you don't recognise to mark them as suspicious.",
       "A replacement card is free with standard delivery, which usually takes 5 to 7 business days.",
       "If you need a replacement sooner, express delivery costs $15 and typically arrives within 2 business days.",
       "Your virtual card details are refreshed at the same time, so you can keep shopping online while you wait.",
       "Phone wallet payments stop working on the old card, so add the new card to your wallet once it arrives.",
       "Recurring payments such as {subscription} may need to be updated with the new card number.",
       "If unauthorised transactions show up, our team will open an investigation, and you won't be held responsible for fraud you report promptly.",
       "Freezing the card does not affect your balance, direct deposits or transfers into the account.",
       "It's also a good idea to change your app passcode if your phone was taken along with the card."],
      [(["How long will the replacement take to arrive?", "When should I expect the new card?"],
        ["Standard delivery takes 5 to 7 business days and is free.",
         "Express delivery arrives within 2 business days for a $15 fee.",
         "You can track the card under Cards in the app once it has been dispatched."]),
       (["What if I find the old card later?", "And if the card turns up after I've reported it?"],
        ["If you only froze the card, you can simply unfreeze it and carry on using it.",
         "If you reported it lost or stolen, that card number is cancelled permanently and can't be reactivated, so please cut it up and wait for the replacement."]),
       (["Will my subscriptions keep working?", "Do my automatic payments carry over to the new card?"],
        ["Many merchants receive updated card details automatically, but not all of them do.",
         "We recommend checking services like {subscription} after your new card arrives and updating the card number where needed.",
         "Payments that use your account number rather than your card are not affected at all."])],
      ["freeze my card", "report my card stolen", "block my lost card", "cancel my stolen debit card",
       "lock my card", "order a replacement for a lost card", "stop someone using my card",
       "report a missing card", "get a new card after losing mine", "temporarily freeze my debit card"],
      ["i lost my card", "my card was stolen", "someone took my wallet with my card in it",
       "i cant find my debit card", "my card is missing", "i left my card at a restaurant",
       "my purse got stolen"]),

    T("refunds", "refunds from merchants", 100,
      ["Waiting on a refund is frustrating, so let's work out where it might be.",
       "Thanks for the details about your refund.",
       "I understand you're keen to get that money back."],
      ["I returned a {item} to {merchant} {time_ago} and they said the refund was processed.",
       "{merchant} cancelled my order and promised a refund of {amount}.",
       "I was charged twice at {merchant} and the store agreed to refund one of the payments.",
       "It has been {ndays} days since {merchant} told me they issued a refund of {amount}.",
       "I got an email from {merchant} confirming a refund, but my balance hasn't changed.",
       "I cancelled a hotel booking in {country} and the refund still isn't showing.",
       "I sent back a {item} I bought online from {merchant}."],
      ["How long do refunds usually take to show up in my Pennywise account?",
       "Why can't I see the refund yet?", "Where in the app can I see pending refunds?",
       "Will the refund go back to my card or to my main balance?",
       "What can I do if the refund still hasn't arrived?", "Do refunds ever show as pending first?",
       "Is there a way to speed up a refund?", "Can Pennywise chase the merchant for me?"],
      ["Once a merchant sends a refund, it normally appears in your account within 3 to 10 business days.",
       "The timing depends mostly on the merchant, because they decide when to release the money to their payment processor.",
       "Refunds go back to the same card or account you paid with, and they show in Activity with a green Refund label.",
       "Some refunds appear first as a pending credit and then move to completed after a day or two.",
       "If the original payment was still pending, the merchant may reverse it instead, which makes the charge disappear rather than showing a separate refund.",
       "Ask the merchant for the refund reference number, sometimes called an ARN, because it lets us trace the payment.",
       "If 10 business days have passed and there's still nothing, open the original transaction and tap Report a problem.",
       "Refunds in a different currency are converted at the exchange rate on the day the refund arrives, so the amount can differ slightly from what you paid.",
       "If your card has been replaced since the purchase, the refund will still reach your account automatically.",
       "We can't speed up a refund on our side, but we can investigate once you have the merchant's confirmation.",
       "If the merchant refuses to refund you, you may be able to raise a dispute from the same transaction screen."],
      [(["What's an ARN exactly?", "Where do I get the reference number you mentioned?"],
        ["An ARN is a reference number that card networks use to track a payment between banks.",
         "The merchant can find it in their refund records, so ask their customer service team for it.",
         "Once you share it with us in chat, we can trace exactly where the refund is."]),
       (["What if the merchant says they never got my return?", "And if the shop refuses to refund me?"],
        ["In that case you can raise a dispute by opening the transaction and tapping Report a problem.",
         "Include any proof you have, such as the return receipt or the cancellation confirmation, as this helps our team build the case."]),
       (["Will I get an alert when the refund arrives?", "Is there a notification for refunds?"],
        ["Yes, if you have transaction notifications turned on, you'll get a push notification as soon as the refund lands.",
         "You can check this under Settings and then Notifications in the app."])],
      ["get a refund", "check on a refund", "track my refund", "find out where my refund is",
       "get my money back from a store", "see a pending refund", "chase a missing refund"],
      ["my refund hasnt arrived", "the store said they refunded me but i dont see it",
       "still waiting on a refund", "refund not showing in my account",
       "merchant refund is taking forever"]),

    T("transfer_limits", "transfer limits", 75,
      ["Thanks for checking before you send, as limits can be confusing.",
       "Sorry the limit got in the way of your payment.",
       "Happy to explain how transfer limits work."],
      ["I need to send {big_amount} to my landlord for a deposit.",
       "I'm trying to move {big_amount} into another bank account and the app keeps stopping me.",
       "I'm buying a used car and need to pay the seller {big_amount}.",
       "The app says I've reached my limit, but I've only sent a few payments {time_ago}.",
       "I'm paying a contractor for a kitchen renovation.",
       "We're splitting a holiday rental and I have to send everyone's share.",
       "I have to pay {big_amount} for a semester of college tuition."],
      ["What are the daily and monthly transfer limits?", "Can I raise my transfer limit?",
       "Why was my transfer blocked for going over the limit?", "When does my daily limit reset?",
       "Is the limit different for instant transfers?",
       "Do transfers between my own accounts count toward the limit?",
       "How long does a limit increase request take?",
       "Is there a way to send more than the limit in one go?"],
      ["For verified accounts, you can send up to $5,000 per day and up to $20,000 in any rolling 30-day period.",
       "If you haven't finished identity verification yet, the limit is $500 per day until you do.",
       "The daily limit resets at midnight Eastern Time, and the monthly limit looks back over the previous 30 days.",
       "You can see how much of your limit you've used under Payments, then Limits.",
       "To ask for a higher limit, go to Payments, then Limits, and tap Request increase.",
       "Limit increase requests are usually reviewed within 2 business days, and we may ask for a document such as a bill of sale or a lease.",
       "Moving money between your own Pennywise accounts and Savings Pots doesn't count toward your transfer limit.",
       "Instant transfers share the same daily limit as standard transfers.",
       "If you need to pay a large amount today, you could split it across two days or check whether the recipient accepts a wire from another bank.",
       "Pending transfers count toward the limit even before they complete.",
       "For security, limit increases can't be approved over chat, so the request needs to come through the app."],
      [(["What documents do you usually ask for?", "What kind of proof do you need for a higher limit?"],
        ["It depends on the payment, but common examples are a signed contract, a lease agreement or a bill of sale.",
         "You can upload a photo or PDF of the document directly in the request screen."]),
       (["Will my limit go back down afterwards?", "Is the increase permanent?"],
        ["Most increases are permanent once approved, but some are granted for a single payment or a set period.",
         "The approval message in the app tells you which type you have, and you can always check your current limits under Payments, then Limits."])],
      ["increase my transfer limit", "check my daily transfer limit", "send more than my limit",
       "raise my sending limit", "find out my monthly transfer cap",
       "see how much i can transfer today", "request a higher limit"],
      ["my transfer was blocked because of a limit", "it says i reached my daily limit",
       "i need to send more money than the app allows", "the transfer limit is too low for me"]),

    T("failed_payments", "failed transfers and bill payments", 80,
      ["Sorry about the failed payment, so let's find out what happened.",
       "Thanks for letting us know, as failed payments are usually quick to fix.",
       "I understand how annoying it is when a payment doesn't go through."],
      ["I tried to pay my {bill} {time_ago} and the payment failed.",
       "My transfer of {amount} to a friend at another bank bounced back.",
       "The app showed a red Failed label on a payment to {merchant}.",
       "I scheduled a payment for {weekday} and it never went out.",
       "I keep getting error {error_code} when I try to send money.",
       "A bill payment I set up last month was returned.",
       "My {bill} payment came back as returned {time_ago}."],
      ["Why did my payment fail?", "Will I get the money back if a transfer fails?",
       "How do I find out what went wrong with the payment?",
       "Can I retry the payment without setting it up again?",
       "Will I be charged a fee for a failed payment?",
       "What does this error mean and how do I fix it?",
       "How long until a returned payment is back in my balance?"],
      ["Open the payment in Activity and tap it to see the reason it didn't go through.",
       "The most common causes are an incorrect account or routing number, a closed recipient account, or not enough available balance at the time of sending.",
       "If the payment failed before it left Pennywise, the money is never taken from your balance.",
       "If the recipient's bank returned it, the funds usually come back within 3 to 5 business days.",
       "Pennywise doesn't charge a fee for failed or returned payments, although the other bank or biller might.",
       "Double-check the recipient details with the person or company you're paying before you try again.",
       "You can tap Retry on the failed payment to send it again with the same details, or Edit to correct them first.",
       "Scheduled payments run early in the morning, so make sure the money is in your account the night before.",
       "If you see error {error_code}, it usually means the session timed out, so closing and reopening the app before retrying should help.",
       "For bill payments, check that the account number with the biller matches the one on your latest bill.",
       "If a payment keeps failing with correct details, send us a message in chat and we'll look at it with you."],
      [(["What if I already fixed the details and it still fails?", "It failed again after I checked everything. Now what?"],
        ["In that case it's best for us to take a look directly.",
         "Message us in chat from the failed payment screen so the details are attached automatically.",
         "We can see the exact response from the receiving bank, which usually tells us what needs to change."]),
       (["Could my biller charge me a late fee?", "Will the company I was paying charge me anything?"],
        ["Pennywise won't charge you, but some billers add a late or returned payment fee.",
         "If the failure was caused by an issue on our side, contact us and we can help you explain it to the biller."])],
      ["find out why my payment failed", "retry a failed payment", "fix a failed transfer",
       "resend a bounced payment", "see why a bill payment was returned"],
      ["my payment failed", "transfer bounced back", "my bill payment didnt go through",
       "i keep getting an error when sending money", "payment shows failed in the app"]),

    T("password_reset", "password and passcode reset", 108,
      ["Sorry you're locked out, so let's get you back in.",
       "No worries, resetting your password only takes a minute.",
       "That's a common one, and it's quick to fix."],
      ["I got a new {device} and I can't remember my Pennywise password.",
       "I've been locked out after too many login attempts.",
       "The password reset email never arrived.",
       "I changed my password {time_ago} and now it won't accept the new one.",
       "The reset link says it has expired.",
       "I forgot my app passcode and Face ID stopped working after an update to {os}.",
       "I haven't logged in for months and my old password doesn't work.",
       "I'm trying to log in on my {device} and it says my password is wrong."],
      ["How do I reset my password?", "How long will my account stay locked?",
       "Why isn't the reset link working?", "Can I reset my password without access to my old email?",
       "What's the difference between my password and my app passcode?",
       "Is there a way to log in while I wait?", "How do I make sure this doesn't happen again?",
       "What should I do now?"],
      ["On the login screen, tap Forgot password and enter the email address linked to your account.",
       "We'll send you a reset link that stays valid for 30 minutes, so use it as soon as it arrives.",
       "If the email doesn't show up within a few minutes, check your spam or promotions folder.",
       "Reset links only work once, so if you requested several, use the most recent one.",
       "After five incorrect attempts your login is locked for 30 minutes, and it unlocks automatically after that.",
       "Your password is used to log in on a new device, while your six-digit passcode unlocks the app on a device you've already set up.",
       "To reset the passcode, tap Forgot passcode on the unlock screen and confirm your identity with your password.",
       "If you no longer have access to the email on your account, contact us in chat and we'll verify your identity another way.",
       "Choose a password you haven't used with any other service, ideally at least 12 characters long.",
       "Once you're back in, you can turn Face ID or fingerprint unlock back on under Settings, then Security.",
       "A password manager can save you from having to remember it next time.",
       "If you're using the app on {os}, make sure autofill isn't entering an old saved password."],
      [(["How do you verify me if I can't use my email?", "What does the identity check involve?"],
        ["We'll usually ask you to take a quick selfie and a photo of the ID you used when you opened the account.",
         "The check is done inside the app and normally takes a few minutes to review."]),
       (["Will resetting my password log me out elsewhere?", "Does changing the password sign out my other devices?"],
        ["Yes, changing your password signs you out on every other device for security.",
         "You'll just need to log in again with the new password on each of them."]),
       (["Can I use the same password as before?", "Is it okay to reuse my old password?"],
        ["For security, you can't reuse any of your last five passwords.",
         "Pick something new and unique, and consider a password manager to keep track of it."])],
      ["reset my password", "change my login password", "unlock my account", "get a new reset link",
       "recover my account", "reset my app passcode"],
      ["i forgot my password", "im locked out of my account", "the reset email never came",
       "my reset link expired", "cant log in to the app"]),

    T("two_factor_auth", "two-factor authentication", 66,
      ["Thanks for checking, as two-factor authentication is one of the best ways to protect your account.",
       "Sorry the codes are giving you trouble.",
       "Good call looking into your account security."],
      ["I'm not receiving the verification codes by text anymore.",
       "I switched to a new {device} and my authenticator app didn't transfer.",
       "I'm travelling in {country} and the codes aren't coming through.",
       "The app keeps saying the code I entered is invalid.",
       "I want to make my account more secure.",
       "I got a verification code I didn't ask for {time_ago}.",
       "I'm setting up Pennywise on my {device}."],
      ["How do I switch two-factor authentication to an authenticator app?",
       "What should I do if I'm not getting my 2FA codes?",
       "Can I turn off two-factor authentication?", "Why does the app say my code is invalid?",
       "Should I be worried about a code I didn't request?", "How do I move 2FA to my new phone?",
       "Do I need backup codes?"],
      ["Go to Settings, then Security, then Two-factor authentication to see or change how you receive codes.",
       "You can choose text message codes or an authenticator app, and the authenticator app is the more secure option.",
       "Codes expire after 10 minutes, so always use the newest one you received.",
       "If codes are rejected, check that the date and time on your phone are set automatically, because authenticator apps depend on an accurate clock.",
       "Text messages can be delayed when you're roaming, so switching to an authenticator app before travelling is a good idea.",
       "When you set up 2FA, save your backup codes somewhere safe; each one can be used once if you lose access to your phone.",
       "Two-factor authentication can't be switched off completely, because it protects payments and logins on new devices.",
       "To move it to a new phone, log in on the old phone first, then choose Move to new device in the security settings.",
       "If you received a code you didn't request, someone may have your password, so change it right away.",
       "Never share a verification code with anyone, including someone claiming to be from Pennywise.",
       "If you've lost both your phone and your backup codes, contact us in chat and we'll help you through an identity check."],
      [(["Which authenticator apps work with Pennywise?", "Do I need a specific authenticator app?"],
        ["Any standard authenticator app that supports time-based codes will work.",
         "Once it's installed, scan the QR code shown in the security settings and enter the first code to confirm."]),
       (["Where do I find my backup codes later?", "I didn't save my backup codes. Can I get new ones?"],
        ["You can generate a fresh set under Settings, then Security, then Backup codes.",
         "Creating a new set cancels the old ones, so store the new list somewhere safe and offline."])],
      ["set up two factor authentication", "switch my 2fa to an authenticator app",
       "get my verification code", "move 2fa to a new phone", "get new backup codes"],
      ["im not getting my verification code", "my 2fa code says invalid",
       "i got a login code i didnt ask for", "the sms code never arrives"]),

    T("statements", "statements and account documents", 52,
      ["Happy to help you get the documents you need.",
       "No problem, statements are easy to download.",
       "Sure, let's get that paperwork sorted."],
      ["My landlord wants three months of bank statements.",
       "I'm applying for a mortgage and need official statements.",
       "I need my {month} statement for my tax return.",
       "My accountant asked for a full year of transactions.",
       "I'm trying to find a transaction from {month} for a warranty claim.",
       "I need proof of address for a visa application.",
       "A car dealership asked for recent bank statements."],
      ["How do I download my statements?", "Can I get statements older than a year?",
       "Are the PDF statements official enough for a lender?",
       "Can I export transactions as a spreadsheet?", "When is each month's statement ready?",
       "Can I get a bank letter showing my account details?",
       "Is there a way to get paper statements?"],
      ["Go to your account, tap Statements, pick the month and then tap Download PDF.",
       "Monthly statements are ready by the 3rd of the following month.",
       "You can access up to seven years of statements directly in the app.",
       "Our PDF statements include the Pennywise logo, your account details and a unique reference, so most lenders and agencies accept them.",
       "If you need a custom date range, choose Export transactions and pick the start and end dates.",
       "Transactions can be exported as a CSV file, which opens in any spreadsheet program.",
       "For proof of address, the Account confirmation letter under Documents shows your name, address and account number.",
       "We don't post paper statements, but you can print the PDF at home or at a local print shop.",
       "Statements for Savings Pots are included in the main account statement.",
       "If a lender needs a stamped letter, send us a message in chat and we can arrange one."],
      [(["Does the confirmation letter show my balance?", "Will the account letter include my balance?"],
        ["By default it shows your account details only, but you can switch on Include balance before generating it.",
         "The balance shown is the one at the moment you create the letter."]),
       (["How far back can I export transactions?", "Can the CSV export go back several years?"],
        ["The export covers the full history of your account, up to seven years.",
         "Very large exports can take a minute to prepare, and you'll get a notification when the file is ready."])],
      ["download my bank statement", "get a statement for last month", "export my transactions",
       "get proof of address", "find an old statement", "get an account confirmation letter"],
      ["i need my statements for a mortgage", "cant find my statement",
       "my landlord wants bank statements", "need a statement for taxes"]),

    T("fees", "fees and plans", 92,
      ["Thanks for asking, as it's good to know exactly what you're paying for.",
       "Sorry for any confusion about the charge.",
       "Happy to break down our fees for you."],
      ["I noticed a charge labelled Pennywise fee on my {month} statement.",
       "I'm thinking about upgrading to Pennywise Plus.",
       "I was charged a fee after using an ATM in {country}.",
       "A friend told me Pennywise is completely free.",
       "I'm comparing accounts before moving my salary over.",
       "I saw a small charge after sending money abroad {time_ago}.",
       "I'm on the Standard plan and want to avoid surprises."],
      ["What fees does Pennywise charge?", "Is there a monthly fee on the standard account?",
       "Why was I charged this fee?", "What do I get with Pennywise Plus for the monthly fee?",
       "Are there any fees for using my card abroad?", "Where can I see all the fees I've paid?",
       "Can a fee be refunded?"],
      ["The Standard plan has no monthly fee, no minimum balance and no overdraft fees.",
       "Pennywise Plus costs $4.99 a month and includes free withdrawals at any ATM and a higher savings rate.",
       "Withdrawals at ATMs outside our partner network cost $2.50 each on the Standard plan.",
       "Sending money abroad costs a flat $4.99 per transfer, plus the exchange rate markup.",
       "Currency exchange has a 0.5% markup on weekdays and 1% at weekends, when markets are closed.",
       "Express delivery for a replacement card costs $15, while standard delivery is free.",
       "Every fee is listed in Activity with a Pennywise fee label, and tapping it shows exactly what it was for.",
       "The full list of fees is in the app under Profile, then Plans and fees.",
       "ATM operators sometimes add their own surcharge, which is separate from anything Pennywise charges.",
       "If you think a fee was charged by mistake, open it in Activity and tap Report a problem.",
       "You can switch plans or cancel Plus at any time, and the change applies from your next billing date."],
      [(["Is Plus worth it if I only use ATMs a couple of times a month?", "Would Plus save me money?"],
        ["It depends on how often you use out-of-network ATMs and how much you keep in savings.",
         "As a rough guide, Plus pays for itself if you make two or more out-of-network withdrawals a month, since each one would otherwise cost $2.50."]),
       (["Can I get a refund for the ATM fee?", "Will you refund a fee if it was a mistake?"],
        ["If the fee was charged in error, we'll refund it once we've checked the transaction.",
         "Report it from the fee itself in Activity, and it's usually reviewed within 2 business days."])],
      ["check what fees pennywise charges", "find out why i was charged a fee", "see the monthly fee",
       "get a fee refunded", "compare plan fees", "avoid paying fees"],
      ["i was charged a fee i dont understand", "there is a pennywise fee on my statement",
       "why do i pay a monthly fee", "got charged a fee after sending money abroad"]),

    T("savings_goals", "savings goals and pots", 58,
      ["Love that you're saving, so here's how to make it easier.",
       "Great goal, and the app can do most of the work for you.",
       "Happy to help you get your savings set up."],
      ["I want to start saving for {goal}.",
       "I'm trying to put aside {amount} a week.",
       "I have a few different things I'm saving for at the same time.",
       "I keep spending the money I meant to save.",
       "I set up a pot for {goal} {time_ago} but nothing has been added yet.",
       "My partner and I want to save for {goal} together.",
       "I'd like to save a bit from every paycheck for {goal}."],
      ["How do I set up a savings goal in the app?", "Can I automate my savings?",
       "How many savings pots can I have?", "Do savings pots earn interest?",
       "How do Round-Ups work?", "Can I lock a pot so I don't dip into it?",
       "How do I move money out of a pot?"],
      ["Tap Savings, then New pot, give it a name and set a target amount and date if you like.",
       "You can have up to 10 Savings Pots open at once, each with its own goal.",
       "Savings Pots earn 3.75% APY on the Standard plan, calculated daily and paid into each pot monthly.",
       "Turn on automatic transfers to move a fixed amount into a pot every day, week or month.",
       "Round-Ups round each card purchase up to the nearest dollar and put the spare change in a pot of your choice.",
       "You can also set a payday rule that moves a percentage of every direct deposit into a pot.",
       "Switching on Lock pot stops withdrawals until the date you choose, which helps if you're tempted to spend.",
       "To take money out, open the pot, tap Move money and choose your main balance.",
       "Money in a pot is protected in the same way as your main balance.",
       "The pot shows a progress bar so you can see how close you are to the target.",
       "If an automatic transfer is due and your main balance is too low, it's skipped rather than overdrawing your account."],
      [(["Can I unlock a locked pot early?", "What if I need the money before the lock date?"],
        ["A locked pot can only be unlocked early by contacting us in chat, and we'll ask you to confirm the request.",
         "Interest already earned stays in the pot either way."]),
       (["Is the interest rate fixed?", "Will the savings rate change?"],
        ["The rate is variable, which means it can go up or down over time.",
         "We'll always notify you in the app before a change takes effect."])],
      ["create a savings pot", "set up a savings goal", "turn on round ups", "automate my savings",
       "lock my savings pot", "move money out of a savings pot"],
      ["i want to save for a holiday", "my round ups arent working", "i keep spending my savings",
       "savings pot not getting money"]),

    T("direct_deposit", "direct deposit and early pay", 62,
      ["Congrats on the new job, and let's get your pay coming in.",
       "Sorry your pay is taking a while, so let's check what might be happening.",
       "Happy to help you set up direct deposit."],
      ["I'm starting a new job on the {date_day} and HR wants my direct deposit details.",
       "My paycheck was supposed to arrive {time_ago} and it's not here.",
       "I want my salary to go into Pennywise instead of my old bank.",
       "I heard Pennywise can pay me early.",
       "My employer says they sent my pay but I can't see it.",
       "I only want part of my paycheck to go to Pennywise.",
       "My pay usually lands on {weekday} but nothing has come in."],
      ["Where do I find my account and routing numbers?", "How does early pay work?",
       "Why hasn't my direct deposit arrived?", "Can I split my paycheck between two banks?",
       "Is there a form I can give my employer?",
       "How long does it take for direct deposit to start working?",
       "Why did my pay arrive early last time but not this time?"],
      ["Your account and routing numbers are under Account, then Account details, and you can copy them with one tap.",
       "Tap Get direct deposit form to create a prefilled PDF you can send to your employer.",
       "With Early Pay, your salary can arrive up to two days before your official payday.",
       "Early Pay depends on when your employer sends the payment file, so the timing can vary from one pay period to the next.",
       "A new direct deposit usually takes one or two pay cycles to start, depending on your employer's pay schedule.",
       "If your pay hasn't arrived by the end of payday, ask your employer to confirm the account number and the date they sent it.",
       "Most employers let you split your pay by a fixed amount or a percentage between accounts.",
       "Deposits that arrive after 5pm Eastern are posted the next business day.",
       "Incoming deposits show up in Activity with your employer's name as the description.",
       "If a deposit is returned because of a wrong account number, your employer usually reissues it within a few days."],
      [(["Will Early Pay cost me anything?", "Is there a fee for getting paid early?"],
        ["No, Early Pay is free on every plan.",
         "It's switched on automatically once your direct deposit is set up, so you don't need to do anything else."]),
       (["Can I use the same details for government benefits?", "Do the same numbers work for tax refunds or benefits?"],
        ["Yes, the same account and routing numbers work for tax refunds and most government benefit payments.",
         "Just make sure the name on the payment matches the name on your Pennywise account."])],
      ["set up direct deposit", "find my routing number", "get my paycheck early",
       "get a direct deposit form", "split my paycheck"],
      ["my paycheck didnt arrive", "direct deposit is missing", "my salary is late",
       "early pay didnt work this month"]),

    T("disputes", "disputing a card transaction", 78,
      ["Sorry you've been charged for something that isn't right.",
       "Thanks for flagging this, and we'll help you get it sorted.",
       "I understand, nobody should pay for something they didn't get."],
      ["There's a charge of {amount} from {merchant} that I never made.",
       "I paid {merchant} for an item that never arrived.",
       "I cancelled my {subscription} membership but they charged me again.",
       "A restaurant charged me {amount} instead of the amount on my receipt.",
       "I was charged for a hotel stay in {country} that I cancelled weeks ago.",
       "The merchant won't respond to my emails about a faulty {item}.",
       "{merchant} charged me {amount} for something I returned."],
      ["How do I dispute a charge?", "How long does a dispute take?",
       "Will I get my money back while you investigate?", "What evidence do I need to provide?",
       "Is there a deadline for disputing a transaction?", "Should I contact the merchant first?",
       "What happens if the merchant disagrees with my dispute?"],
      ["Open the transaction in Activity, tap Report a problem and choose the reason that fits best.",
       "It usually helps to contact the merchant first, as many issues are fixed faster that way.",
       "You can raise a dispute up to 60 days after the transaction appears on your statement.",
       "For most disputes we add a provisional credit to your account within 10 business days while we investigate.",
       "Investigations can take up to 45 days, because the merchant has time to respond through the card network.",
       "Upload anything that supports your case, such as receipts, emails, cancellation confirmations or photos.",
       "If the charge looks like fraud, we'll also cancel your card and send you a new one to protect you.",
       "If the merchant provides evidence that the charge was valid, we'll share it with you and explain the outcome.",
       "If the dispute is decided in your favour, the provisional credit becomes permanent.",
       "You can follow the progress of the dispute under Activity, then Disputes."],
      [(["What if the dispute is not decided in my favour?", "Can I appeal if you side with the merchant?"],
        ["If new evidence comes to light, you can ask us to review the case again from the dispute screen.",
         "If the provisional credit is reversed, we'll always give you notice before the money is taken back."]),
       (["Will disputing affect my credit score?", "Does a dispute show up on my credit report?"],
        ["No, disputing a card transaction doesn't affect your credit score.",
         "It's a matter between you, Pennywise and the merchant, and it isn't reported to credit bureaus."])],
      ["dispute a charge", "report a transaction i didnt make", "challenge a merchant charge",
       "open a chargeback", "check my dispute status"],
      ["theres a charge i dont recognise", "i was charged for something that never arrived",
       "the merchant charged me twice", "i was charged after cancelling"]),

    T("currency_exchange", "currency exchange", 48,
      ["Exciting, and here's how to get the most from your money abroad.",
       "Good question, as exchange rates can be confusing.",
       "Happy to explain how currency exchange works in the app."],
      ["I'm travelling to {country} next month.",
       "I need to hold some {currency} for an upcoming trip.",
       "I paid for dinner in {currency} and the amount in dollars looked higher than expected.",
       "I was asked at a card terminal in {country} whether I wanted to pay in dollars.",
       "I want to exchange {big_amount} before my trip.",
       "I have some {currency} left over from my last trip in the app."],
      ["How do I exchange dollars into another currency in the app?", "What exchange rate do you use?",
       "Is it cheaper to exchange during the week?",
       "Should I pay in the local currency or in dollars when abroad?",
       "Which currencies can I hold?", "Can I convert money back to dollars?",
       "Why was the converted amount different from what I expected?"],
      ["Tap Accounts, then Currencies, pick the currency you want and enter the amount to exchange.",
       "We use the live interbank rate with a 0.5% markup on weekdays.",
       "At weekends the markup rises to 1%, because currency markets are closed and rates can move before they reopen.",
       "You can hold and exchange up to 20 currencies in the app.",
       "When a card terminal abroad offers to charge you in dollars, choose the local currency instead, because the merchant's conversion rate is usually worse.",
       "If you hold the local currency in the app, card payments will use that balance first.",
       "You can convert money back to dollars at any time using the same screen.",
       "The exact rate and fee are shown before you confirm, so there are no surprises.",
       "Card payments that haven't settled yet may show an estimated amount that changes slightly when the payment completes.",
       "Setting a rate alert will notify you when the currency reaches a rate you choose."],
      [(["How do rate alerts work?", "Can I get notified when the rate improves?"],
        ["Open the currency, tap Set alert and enter the rate you're hoping for.",
         "We'll send you a push notification when the market rate reaches it, and you can exchange straight from the alert."]),
       (["Is there a limit on how much I can exchange?", "Can I exchange a large amount in one go?"],
        ["Exchanges count toward the same daily limit as transfers, which is $5,000 for verified accounts.",
         "For larger amounts, you can spread the exchange over a few days."])],
      ["exchange dollars to euros", "check the exchange rate", "hold another currency",
       "convert money back to dollars", "set a rate alert"],
      ["the exchange rate looks wrong", "i was charged more than expected abroad",
       "im travelling and need local currency", "weekend exchange rate seems worse"]),

    T("app_crash", "app crashes and loading problems", 68,
      ["Sorry the app is misbehaving, so let's get it working again.",
       "Thanks for reporting this, and there are a few things that usually fix it.",
       "That sounds frustrating, so let's try some quick fixes."],
      ["The app keeps closing as soon as I open it on my {device}.",
       "Since updating to {os}, Pennywise freezes on the loading screen.",
       "The app crashes every time I try to open my card settings.",
       "I get a blank white screen after logging in.",
       "The app was working fine {time_ago}, but now it won't load my balance.",
       "I'm getting error {error_code} whenever I open Activity.",
       "The app on my {device} has been really slow since {time_ago}."],
      ["How can I fix this?", "Is the app down right now?", "Do I need to reinstall the app?",
       "Will I lose anything if I delete and reinstall it?",
       "Is my money safe if the app isn't working?", "How do I report a bug?",
       "Which versions of iOS and Android are supported?"],
      ["First, make sure you have the latest version of Pennywise from the App Store or Google Play.",
       "Fully close the app, then restart your phone, as this clears most temporary glitches.",
       "On Android, you can also clear the app cache under Settings, then Apps, then Pennywise, then Storage.",
       "Deleting and reinstalling the app is safe, because your account data is stored securely on our servers, not on your phone.",
       "After reinstalling, you'll need your password to log in and set up your passcode again.",
       "Check that your phone has at least a few hundred megabytes of free storage, since the app needs space to load.",
       "We support the two most recent major versions of iOS and Android.",
       "If you're on a work phone or using a VPN, try switching to regular mobile data, as some networks block the app.",
       "Your money and card keep working normally even when the app has trouble loading.",
       "If the problem continues, use Report a bug under Help, which sends us the diagnostic details we need.",
       "Any planned maintenance is announced in the app a few days ahead."],
      [(["It still crashes after reinstalling. What next?", "Reinstalling didn't help. Anything else I can try?"],
        ["Thanks for trying that.",
         "Please use Report a bug from the Help section, or message us in chat, and include your phone model and app version.",
         "Our engineers can then look at the crash logs for your device specifically."]),
       (["Can I still use my card while the app is broken?", "Will my card work in the meantime?"],
        ["Yes, your card, direct deposits and scheduled payments all keep working normally.",
         "The app only affects how you view and manage your account, not the account itself."])],
      ["fix the app crashing", "stop the app from freezing", "report a bug",
       "reinstall the pennywise app", "get the app to load"],
      ["the app keeps crashing", "app stuck on loading screen", "blank screen after login",
       "the app wont open after the update"]),

    T("account_closure", "closing an account", 44,
      ["Sorry to see you go, and I'll make closing your account as smooth as possible.",
       "Thanks for letting us know, and here's how closing works.",
       "No problem, I can walk you through closing the account."],
      ["I'm moving abroad and won't need my account anymore.",
       "I opened a second account by mistake.",
       "I've decided to switch banks.",
       "I haven't used my Pennywise account in months.",
       "I still have {amount} left in my balance.",
       "I have a savings pot with some money in it and I want to close everything."],
      ["How do I close my account?", "What happens to the money left in my account?",
       "Can I reopen my account later?", "Will I still be able to see my statements after closing?",
       "Is there a fee to close my account?", "How long does closing the account take?",
       "Do I need to cancel my direct debits first?"],
      ["Go to Profile, then Settings, then Close account, and follow the steps on screen.",
       "Before closing, move any remaining balance, including money in Savings Pots, to another bank account.",
       "Pending card payments need to finish first, which usually takes a few days.",
       "There's no fee to close your account.",
       "Once you confirm, the account is closed within one business day and your cards stop working immediately.",
       "Download any statements you need before closing, as you won't be able to log in afterwards.",
       "If you need an old statement after closing, our team can still send it to you for up to seven years.",
       "Cancel or move any direct debits and subscriptions to your new account so payments don't fail.",
       "If you have Pennywise Plus, the plan is cancelled automatically and you won't be billed again.",
       "You're welcome to open a new account in the future, although it will have new account details."],
      [(["What if money arrives after I close the account?", "What happens to payments sent after closure?"],
        ["Any payment that arrives after the account is closed is returned to the sender automatically.",
         "That's why it's worth updating your details with employers and anyone who pays you before closing."]),
       (["Can I just close one of my pots and keep the account?", "Can I close only the savings side?"],
        ["Yes, you can close a single Savings Pot at any time from the pot's settings without closing your main account.",
         "Closing the main account, though, closes all pots and cards linked to it."])],
      ["close my account", "delete my pennywise account", "cancel my account",
       "shut down my account and withdraw my balance"],
      ["i want to close my account", "im switching banks", "i dont need this account anymore",
       "i opened a duplicate account"]),

    T("overdraft", "overdraft and negative balances", 52,
      ["Thanks for checking, and there's good news on fees.",
       "Sorry for the worry, so let's look at what a negative balance means for you.",
       "Happy to explain how Overdraft Cushion works."],
      ["My balance went negative after a payment to {merchant} went through.",
       "I saw my balance showing minus {amount} this morning.",
       "I'm a bit short until payday on {weekday}.",
       "A subscription for {subscription} came out before my pay arrived.",
       "I was told I'm not eligible for Overdraft Cushion.",
       "I'm worried about being charged if I go below zero."],
      ["Does Pennywise charge overdraft fees?", "How does Overdraft Cushion work?",
       "How do I qualify for Overdraft Cushion?", "How do I pay back a negative balance?",
       "Can I increase my cushion amount?", "What happens if I can't repay it right away?",
       "Can I turn off overdraft completely?"],
      ["Pennywise never charges overdraft fees.",
       "Overdraft Cushion lets eligible customers go up to $100 below zero on card purchases without a fee.",
       "To qualify, you need at least $500 in direct deposits each month into your Pennywise account.",
       "Any negative balance is repaid automatically from your next deposit.",
       "Your cushion amount is shown under Account, then Overdraft Cushion, and it may grow over time based on your account history.",
       "If you aren't eligible, purchases that would take you below zero are simply declined.",
       "Some payments, like subscriptions that are authorised in advance, can occasionally push the balance slightly negative even without a cushion.",
       "If your balance stays negative for more than 30 days, the cushion is paused until the account is brought back to zero.",
       "You can switch the cushion off at any time under the same settings.",
       "Setting up a low balance alert is a good way to avoid surprises before payday."],
      [(["Will a negative balance affect my credit score?", "Does using the cushion get reported anywhere?"],
        ["No, using Overdraft Cushion isn't reported to credit bureaus.",
         "It's a free feature of your account, not a loan."]),
       (["How do I set up the low balance alert?", "Where is the low balance alert setting?"],
        ["Go to Settings, then Notifications, then Low balance, and choose the amount that should trigger the alert.",
         "We'll send you a push notification whenever your balance drops below that amount."])],
      ["check if i have overdraft", "turn on overdraft cushion", "pay back a negative balance",
       "turn off overdraft", "increase my overdraft cushion"],
      ["my balance is negative", "i went below zero", "im not eligible for the cushion",
       "worried about overdraft charges"]),

    T("cheque_deposit", "mobile cheque deposit", 42,
      ["Happy to help you get that cheque deposited.",
       "Sorry the deposit didn't go smoothly, so let's sort it out.",
       "Mobile deposit is quick once you know the tricks."],
      ["I received a cheque for {big_amount} from my insurance company.",
       "My grandmother sent me a birthday cheque.",
       "I tried to deposit a cheque with my {device} camera and it was rejected.",
       "A cheque I deposited {time_ago} still hasn't cleared.",
       "I got a refund cheque from {merchant}.",
       "My tax refund came as a paper cheque."],
      ["How do I deposit a cheque in the app?", "When will the money be available?",
       "Why was my cheque deposit rejected?", "Is there a limit on mobile cheque deposits?",
       "What should I do with the paper cheque afterwards?", "How do I endorse the cheque?",
       "Can I deposit a cheque made out to someone else?"],
      ["Tap Move money, then Deposit cheque, and take photos of the front and back when prompted.",
       "Place the cheque on a dark, flat surface in good light so all four corners are visible.",
       "Sign the back and write For mobile deposit only at Pennywise under your signature.",
       "The first $225 is usually available the next business day, and the rest within 2 business days.",
       "You can deposit up to $3,000 per day by mobile cheque deposit.",
       "Cheques are often rejected because the photo is blurry, the endorsement is missing or the amount written doesn't match the amount entered.",
       "Keep the paper cheque somewhere safe for 14 days after the deposit, then destroy it.",
       "We can only accept cheques made out to you, so third-party cheques will be rejected.",
       "Deposits made after 5pm Eastern or on a weekend are processed the next business day.",
       "You'll get a notification once the cheque has cleared and the full amount is available."],
      [(["What if the cheque bounces?", "What happens if the cheque is returned unpaid?"],
        ["If a cheque is returned by the issuing bank, the amount is removed from your balance and we'll notify you straight away.",
         "You'd then need to contact the person or company who wrote it to arrange payment another way."]),
       (["Can I deposit a cheque from another country?", "Do you accept foreign cheques?"],
        ["Mobile deposit only works for cheques drawn on US banks in US dollars.",
         "For a foreign cheque, you'd need to use a bank that offers international cheque collection."])],
      ["deposit a cheque", "deposit a check with my phone", "see when my cheque clears",
       "endorse a cheque for mobile deposit"],
      ["my cheque deposit was rejected", "cheque hasnt cleared yet", "i got a paper cheque",
       "mobile deposit failed"]),

    T("budgeting", "budgeting and spending insights", 48,
      ["Great that you're taking control of your spending.",
       "Happy to help, as the budgeting tools can make a big difference.",
       "Good idea, and the app can track most of this automatically."],
      ["I keep running out of money before the end of the month.",
       "I spent way more on eating out last month than I thought.",
       "I'm trying to stick to {amount} a week for groceries.",
       "I just moved into my first apartment and need to get a handle on my spending.",
       "My spending at {merchant} seems to add up quickly.",
       "I want to see where my money goes each month."],
      ["How do I set a monthly budget in the app?",
       "Can Pennywise tell me how much I spend on each category?",
       "How do I change the category of a transaction?",
       "Can I get an alert when I'm close to my budget?",
       "Is there a way to see my spending trends over time?", "Can I budget for bills separately?",
       "How does the Budget Planner work?"],
      ["Open Insights, tap Budget Planner and choose a monthly amount for each category you want to track.",
       "Spending Insights groups your card payments into categories such as groceries, eating out, transport and bills.",
       "Tap any transaction and choose Change category if it was sorted into the wrong one, and future payments to that merchant will follow the same rule.",
       "You can set an alert at 80% of a category budget, so you get a heads up before you go over.",
       "The Trends view compares your spending month by month, which makes it easy to spot where costs are creeping up.",
       "Bills and subscriptions are detected automatically and shown in their own section, with the next expected date.",
       "Budgets reset on the first day of each month, or on your payday if you prefer.",
       "Creating a Savings Pot for bills and moving money there on payday can make the rest of your budget easier to manage.",
       "Cash withdrawals show up as a single Cash category, since we can't see what the cash was spent on.",
       "You can export each month's spending summary as a PDF from the Insights screen."],
      [(["Can I create my own categories?", "Is it possible to add a custom category?"],
        ["Yes, you can add up to 10 custom categories under Insights, then Manage categories.",
         "Custom categories work just like the built-in ones, including budgets and alerts."]),
       (["Does the budget include transfers to friends?", "Are payments to friends counted in my budget?"],
        ["Transfers to friends are left out by default, because they're often paying back shared costs.",
         "You can include them by switching on Count transfers in the Budget Planner settings."])],
      ["set a monthly budget", "see my spending by category", "change a transaction category",
       "track my spending", "set a budget alert"],
      ["i spend too much on takeout", "i keep running out of money",
       "my spending categories are wrong", "want to see where my money goes"]),

    T("interest_rates", "interest on savings", 40,
      ["Good question, and here's how interest works at Pennywise.",
       "Happy to explain our savings rates.",
       "Thanks for asking, as it's worth making your money work for you."],
      ["I have {big_amount} sitting in my main balance.",
       "I saw another bank advertising a higher savings rate.",
       "I got my first interest payment {time_ago} and it seemed small.",
       "I'm deciding whether to keep my emergency fund with Pennywise.",
       "I heard the savings rate changed recently.",
       "I'm thinking about moving my savings over from another bank."],
      ["What interest rate do you pay on savings?", "How is interest calculated?",
       "When is interest paid?", "Does my main balance earn interest?",
       "Is the rate higher on Pennywise Plus?", "Do I have to pay tax on the interest?",
       "Will the rate change?"],
      ["Savings Pots earn 3.75% APY on the Standard plan.",
       "On Pennywise Plus, the savings rate is 4.25% APY.",
       "Your main balance doesn't earn interest, so moving spare money into a pot is the way to earn it.",
       "Interest is calculated daily on the balance in each pot and paid on the first day of every month.",
       "The rate is variable, and we'll notify you in the app before any change takes effect.",
       "There's no minimum balance to earn interest and no cap on how much can earn the rate.",
       "Interest payments appear in Activity with the label Interest earned.",
       "If you earn more than $10 in interest in a year, we'll make a tax form available in the app early the following year.",
       "Interest is taxable income in most cases, so it's worth checking with a tax professional about your situation.",
       "APY includes the effect of compounding, so it reflects what you'd earn over a full year if the rate stayed the same."],
      [(["Where do I find the tax form?", "How do I download my interest tax form?"],
        ["Go to Profile, then Documents, then Tax forms.",
         "The form is usually ready by the end of January, and you'll get a notification when it's available."]),
       (["Does money in a locked pot earn the same rate?", "Do locked pots earn more?"],
        ["Locked pots earn the same rate as any other Savings Pot.",
         "The lock is there to help you avoid spending the money, not to change the interest."])],
      ["check my savings interest rate", "find out when interest is paid",
       "earn interest on my balance", "download my interest tax form"],
      ["my interest payment seems low", "the savings rate changed",
       "my main balance isnt earning interest", "other banks pay more interest"]),

    T("joint_accounts", "joint accounts", 40,
      ["Happy to help you set up a shared account.",
       "Good question, as joint accounts work a little differently.",
       "Sure, here's how joint accounts work at Pennywise."],
      ["My partner and I want to share an account for household bills.",
       "My roommate and I split rent and utilities every month.",
       "I already have a personal account and want to add a shared one.",
       "My spouse and I are separating and need to sort out our joint account.",
       "We just moved in together and want one account for groceries.",
       "My partner doesn't have a Pennywise account yet."],
      ["Can I open a joint account?", "How do we add a second person to an account?",
       "Does each person get their own card?", "Can I remove someone from a joint account?",
       "Can both of us see all the transactions?", "Can I keep my personal account as well?",
       "Who owns the money in a joint account?"],
      ["Joint accounts can be shared by two people, and both need their own Pennywise profile first.",
       "To open one, tap Accounts, then New account, then Joint account, and send an invite to the other person from the app.",
       "Both account holders must be 18 or over and complete identity verification.",
       "Each of you gets your own debit card linked to the joint account.",
       "Both holders have equal access, so either of you can see every transaction, make payments and download statements.",
       "Your personal accounts stay completely separate and private.",
       "Removing a person from a joint account needs both holders to agree, and any remaining balance can then be split between you.",
       "Shared Savings Pots can be created inside the joint account for goals you're saving toward together.",
       "Legally, the money in a joint account belongs to both holders equally.",
       "If you disagree about closing or splitting the account, contact us in chat and we'll explain the options."],
      [(["Does the other person need to live with me?", "Can my partner live somewhere else?"],
        ["They don't need to live at the same address, but both of you must be US residents with a valid mobile number.",
         "The invite works no matter where in the country the other person lives."]),
       (["Can we each set our own card limits?", "Can I control how much my partner spends?"],
        ["Each card has its own spending controls, which the cardholder can adjust in their own app.",
         "One holder can't restrict the other's card, since both have equal rights over the account."])],
      ["open a joint account", "add my partner to my account", "remove someone from a joint account",
       "get a card for a joint account"],
      ["we want a shared account", "i need to remove my ex from our joint account",
       "my partner wants access to our account"]),

    T("notifications", "notifications and alerts", 40,
      ["Happy to help you get your alerts set up the way you like.",
       "Sorry your notifications aren't behaving.",
       "Good idea, since alerts are a great way to keep an eye on your account."],
      ["I stopped getting purchase alerts on my {device}.",
       "I'm getting too many marketing notifications.",
       "I only want to be notified about large transactions.",
       "My notifications arrive hours late.",
       "I didn't get an alert when my pay came in {time_ago}.",
       "I'd like to get a daily summary instead of individual alerts."],
      ["How do I change my notification settings?", "Why am I not getting notifications?",
       "Can I turn off promotional messages but keep security alerts?",
       "Can I set alerts for transactions over a certain amount?",
       "Is there a daily balance notification?", "Can I get notifications by email instead of push?"],
      ["Go to Settings, then Notifications, to choose which alerts you receive.",
       "Make sure notifications for Pennywise are allowed in your phone's own settings too, as the app can't override them.",
       "Battery saver modes on some Android phones can delay notifications, so exclude Pennywise from battery optimisation.",
       "Promotional messages can be switched off separately under Marketing preferences, while security alerts always stay on.",
       "You can set a Large transaction alert for any card payment above an amount you choose.",
       "The Daily balance summary sends you one notification each morning with your balance and yesterday's spending.",
       "Push notifications are the fastest option, but you can also choose email for statements and monthly summaries.",
       "Logging out and back in refreshes your notification settings, which often fixes alerts that stopped arriving.",
       "Security alerts about new logins and card changes can't be turned off, because they protect your account.",
       "Incoming payment alerts are sent as soon as the money is available in your balance."],
      [(["Can I choose what time the daily summary arrives?", "What time does the daily summary come?"],
        ["Yes, pick a time in the Daily balance summary setting, anywhere from 6am to 11am.",
         "The summary always shows your balance as of that moment."]),
       (["Will turning off marketing messages affect anything else?", "If I opt out of promotions, will I miss anything important?"],
        ["No, you'll still get every alert about your account, payments and security.",
         "You'll just stop receiving offers and news about new features."])],
      ["turn on transaction alerts", "turn off marketing notifications", "set a large transaction alert",
       "get a daily balance notification", "fix my notifications"],
      ["im not getting notifications", "too many promo notifications", "alerts arrive late",
       "didnt get notified about my paycheck"]),

    T("card_declined", "declined card payments", 85,
      ["Sorry your card was declined, so let's find out why.",
       "That's frustrating, especially when you know you have the money.",
       "Thanks for reaching out, as declines usually have a simple cause."],
      ["My card was declined at {merchant} even though I have money in my account.",
       "I tried to pay {amount} online and the payment was rejected.",
       "My card doesn't work at the gas pump.",
       "My card was declined while I was travelling in {country}.",
       "My subscription to {subscription} keeps failing on my card.",
       "The terminal at {merchant} said insufficient funds but my balance is fine.",
       "My card got declined twice at {merchant} {time_ago}."],
      ["Why was my card declined?", "How do I find out the reason for a decline?",
       "Could my card be blocked?", "Do I need to tell you before I travel?",
       "Why does my card work in shops but not online?",
       "What can I do to stop this happening again?", "Is something wrong with my card?"],
      ["Open Activity and tap the declined payment, where we show the reason for the decline.",
       "Check that the card isn't frozen under Cards, as a frozen card declines every payment.",
       "Online payments can fail if the billing address or security code entered doesn't match the details on your account.",
       "Some merchants, such as gas stations and hotels, place a temporary hold for more than the purchase amount, which can be declined if the hold is larger than your available balance.",
       "If you've turned off online, contactless or international payments under Card controls, those payments will be declined.",
       "You don't need to tell us before you travel, but make sure International payments is switched on under Card controls.",
       "If we spot unusual activity, we may pause the card and send you a notification asking you to confirm the payment.",
       "Confirming the payment in the app usually unblocks the card within a few seconds, so you can try again straight away.",
       "A damaged chip can also cause declines, in which case we can send you a free replacement card.",
       "Your available balance excludes pending transactions, so it can be lower than the balance you expect."],
      [(["How do I confirm a payment you flagged?", "What do I do when the app asks if a payment was me?"],
        ["Open the notification or the Security check banner in the app and tap It was me.",
         "The card is unblocked right away, and the merchant can try the payment again."]),
       (["Can I use my card at gas stations at all?", "Will the pump hold always be declined?"],
        ["Yes, it usually works if your available balance covers the hold.",
         "Paying inside the station for a set amount avoids the larger hold if your balance is low."])],
      ["find out why my card was declined", "unblock my card", "turn on international payments",
       "fix a declined online payment", "confirm a flagged payment"],
      ["my card got declined", "card declined even though i have money", "card doesnt work online",
       "my card was rejected at the store"]),

    T("virtual_cards", "virtual cards", 46,
      ["Great idea, as virtual cards are a safer way to pay online.",
       "Happy to help with virtual cards.",
       "Sure, virtual cards are quick to set up."],
      ["I want to shop online without using my main card number.",
       "I'm signing up for a free trial of {subscription}.",
       "I'm buying something from a website I haven't used before.",
       "My physical card hasn't arrived yet but I need to pay for something online.",
       "I'd like a separate card just for my subscriptions.",
       "I deleted a virtual card by mistake {time_ago}."],
      ["How do I create a virtual card?", "How many virtual cards can I have?",
       "What is a single-use virtual card?", "Can I add a virtual card to my phone wallet?",
       "Is there a fee for virtual cards?", "Can I set a spending limit on a virtual card?",
       "What happens to payments on a virtual card I delete?"],
      ["Tap Cards, then Add card, then Virtual card, and it's ready to use straight away.",
       "You can have up to five virtual cards at once, and they're free on every plan.",
       "Single-use virtual cards generate a new card number after each purchase, which makes them ideal for websites you don't fully trust.",
       "Virtual cards can be added to Apple Pay or Google Pay for in-store payments.",
       "Each virtual card can have its own monthly spending limit, set from the card's settings.",
       "Payments on a virtual card come out of your main balance, just like your physical card.",
       "If you delete a virtual card, any recurring payments on it will fail, so move subscriptions to another card first.",
       "Deleted virtual cards can't be restored, but you can create a new one in seconds.",
       "Naming each card, for example Subscriptions or Online shopping, makes it easier to see where payments come from.",
       "You can freeze a virtual card on its own without affecting your other cards."],
      [(["Will a single-use card work for a free trial?", "Can I use a single-use card for subscriptions?"],
        ["Single-use cards are great for free trials, because the trial can't charge you again once the number changes.",
         "For subscriptions you want to keep, use a regular virtual card instead so renewals go through."]),
       (["Does each virtual card have its own security code?", "Do virtual cards have different details from my physical card?"],
        ["Yes, each virtual card has its own number, expiry date and security code.",
         "You can view them anytime by tapping the card and confirming with your passcode."])],
      ["create a virtual card", "get a single use card", "delete a virtual card",
       "set a limit on a virtual card", "add a virtual card to apple pay"],
      ["i need a card for online shopping", "my virtual card isnt working", "i deleted my virtual card"]),

    T("recurring_payments", "subscriptions and scheduled payments", 58,
      ["Happy to help you get your regular payments under control.",
       "Sorry you're still being charged, so let's stop that.",
       "Good question, as scheduled payments save a lot of hassle."],
      ["I'm still being charged for {subscription} even though I stopped using it.",
       "I want to pay my {bill} automatically every month.",
       "I set up a monthly transfer to my savings pot and want to change the date.",
       "I have several subscriptions and I'm losing track of them.",
       "A gym I cancelled {time_ago} tried to charge me again.",
       "I need to pause my rent payments for a month while I move."],
      ["How do I cancel a subscription that charges my card?", "How do I set up a recurring payment?",
       "Where can I see all my subscriptions?", "Can I block a merchant from charging me?",
       "How do I change the date of a scheduled payment?", "Can I pause a recurring transfer?",
       "Will cancelling my card stop subscriptions?"],
      ["Go to Payments, then Scheduled, to see and manage every recurring transfer you've set up.",
       "To create one, tap New payment, enter the recipient and amount, then choose Repeat and pick how often.",
       "Card subscriptions are listed under Cards, then Subscriptions, which we build from your recurring card payments.",
       "The most reliable way to stop a card subscription is to cancel it with the merchant, because they control the billing.",
       "If a merchant keeps charging you after you cancel, tap the payment and choose Block merchant to decline future charges from them.",
       "Scheduled transfers can be edited or paused until a date you choose, and they'll restart automatically.",
       "Changing the payment date takes effect from the next payment, as long as you edit it at least one day before it's due.",
       "Cancelling or replacing your card doesn't always stop subscriptions, because some merchants receive updated card details automatically.",
       "You'll get a reminder the day before each scheduled transfer if you switch on Payment reminders.",
       "If a blocked merchant charged you after you cancelled, you can dispute the charge from the same screen."],
      [(["Will blocking the merchant affect other shops?", "Does Block merchant stop all payments to similar stores?"],
        ["No, it only affects that specific merchant.",
         "You can unblock them at any time from Cards, then Blocked merchants, if you decide to use the service again."]),
       (["Can I see how much I spend on subscriptions each month?", "Is there a total for all my subscriptions?"],
        ["Yes, the Subscriptions screen shows a monthly total at the top.",
         "It also shows when each one is next due, so you can decide which ones to keep."])],
      ["cancel a subscription", "set up a recurring payment", "stop a merchant charging me",
       "change a scheduled payment date", "pause a recurring transfer", "see all my subscriptions"],
      ["still charged after cancelling a subscription", "i want to pay rent automatically",
       "too many subscriptions", "a gym keeps charging me"]),

    T("identity_verification", "identity verification", 62,
      ["Thanks for your patience with the verification process.",
       "Happy to explain what we need and why.",
       "Sorry for the hold-up, so let's get you verified."],
      ["I just signed up and the app is asking for ID.",
       "My verification was rejected and I'm not sure why.",
       "I've been waiting {ndays} days for my identity check to finish.",
       "My driver's license expired recently.",
       "I moved recently and my ID shows my old address.",
       "The app asked me to verify again even though I did it last year.",
       "I'm trying to verify on my {device} and the camera keeps failing."],
      ["Why do I need to verify my identity?", "How long does verification take?",
       "Which documents do you accept?", "Why was my verification rejected?",
       "Can I use my account before I'm verified?", "Why am I being asked to verify again?",
       "Is my ID stored securely?"],
      ["As a regulated financial service, we're required to confirm the identity of everyone who opens an account.",
       "You'll need a valid photo ID, such as a driver's license, passport or state ID card, plus a quick selfie.",
       "Most checks are completed within a few minutes, but some need a manual review that can take up to 2 business days.",
       "Common reasons for rejection are glare on the photo, cropped edges, an expired document or a selfie taken in poor light.",
       "Until you're verified, you can receive money but transfers out are limited to $500 per day.",
       "We may ask you to verify again if your details change, if your ID has expired, or as part of a periodic review.",
       "An ID showing an old address is fine, as long as it's valid and the photo is clear.",
       "Your documents are encrypted and stored securely, and they're only used for verification.",
       "You can check the status of your verification under Profile, then Verification.",
       "If your check is taking longer than 2 business days, message us in chat and we'll look into it."],
      [(["Can I use a passport from another country?", "Do you accept foreign passports?"],
        ["Yes, we accept valid passports from any country.",
         "You'll also need a US residential address and a taxpayer identification number to complete sign up."]),
       (["What if my selfie keeps failing?", "The selfie step won't work. Any tips?"],
        ["Try facing a window or a bright light so your face is evenly lit.",
         "Remove glasses and hats, hold the phone at eye level and keep your whole face inside the frame."])],
      ["verify my identity", "upload my id", "check my verification status", "redo my identity check"],
      ["my verification was rejected", "verification is taking forever",
       "the app keeps asking for my id", "my id expired"]),

    T("update_details", "updating personal details", 48,
      ["Happy to help you keep your details up to date.",
       "Sure, updating your details only takes a moment.",
       "Thanks for keeping your profile current."],
      ["I moved to a new apartment {time_ago}.",
       "I changed my phone number and can't receive codes on the old one.",
       "I got married and changed my last name.",
       "I want to use a different email address for my account.",
       "My address on file is out of date and my new card was sent to the old one.",
       "I noticed my date of birth is wrong in my profile."],
      ["How do I update my address?", "How do I change the phone number on my account?",
       "Can I change my legal name in the app?", "How do I update my email address?",
       "Will changing my details affect my card?", "How do I correct a mistake in my profile?"],
      ["Go to Profile, then Personal details, and tap the item you want to change.",
       "Address changes take effect immediately, and any card ordered afterwards is sent to the new address.",
       "To change your phone number, you'll confirm a code sent to the new number and then approve the change with your password.",
       "If you no longer have the old number, our team can help after a quick identity check.",
       "Legal name changes need a supporting document, such as a marriage certificate or a court order, uploaded in the app.",
       "Email changes are confirmed by a link sent to the new address, and we notify the old address for security.",
       "Your card keeps working after a name change, and you can order a new card with your updated name for free.",
       "For corrections to your date of birth, we'll ask for a photo ID that shows the correct date.",
       "Updating your details here doesn't change them with employers or billers, so remember to let them know as well.",
       "For security, some changes may temporarily limit large transfers for 24 hours."],
      [(["How long does a name change take to approve?", "When will my new name show up?"],
        ["Most name changes are reviewed within 2 business days.",
         "Once approved, your name updates across the app and on statements from that point on."]),
       (["Can I have a card sent somewhere other than my home?", "Can I ship a replacement card to my work address?"],
        ["Yes, when you order a card you can choose a one-time delivery address.",
         "Your home address on file stays the same."])],
      ["update my address", "change my phone number", "change my email address",
       "update my legal name", "fix my date of birth"],
      ["i moved and need to update my address", "i have a new phone number",
       "my name changed after marriage", "my profile details are wrong"]),

    T("atm_withdrawals", "ATM withdrawals", 52,
      ["Happy to help you get cash without the fees.",
       "Sorry about the trouble at the ATM.",
       "Good question, as ATM fees can add up."],
      ["I need to take out cash for a used bike I'm buying.",
       "An ATM charged me a fee {time_ago}.",
       "The ATM didn't give me any cash but my account was debited {amount}.",
       "I'm travelling to {country} and will need some cash.",
       "I can't find a free ATM near my office.",
       "The ATM kept my card after I entered my PIN."],
      ["Where can I withdraw cash for free?", "What's the daily ATM withdrawal limit?",
       "What should I do if the ATM didn't dispense cash?", "Can I use my card at ATMs abroad?",
       "Why was I charged a fee at the ATM?", "What happens if an ATM keeps my card?",
       "Can I get cash back at a store instead?"],
      ["Withdrawals at ATMs in our partner network are free, and you can find the nearest one under Cards, then ATM map.",
       "Outside the partner network, each withdrawal costs $2.50 on the Standard plan, and the ATM operator may add its own surcharge.",
       "You can withdraw up to $1,000 per day from ATMs.",
       "If the ATM didn't give you cash, the amount usually drops off within 1 to 3 business days once the ATM balances its cash.",
       "If it hasn't been returned after 3 business days, tap the withdrawal and choose Report a problem.",
       "Your card works at ATMs abroad, and the amount is converted at our exchange rate plus the standard markup.",
       "If an ATM keeps your card, freeze it in the app straight away and order a replacement.",
       "Many grocery stores offer cash back at the register with no fee from Pennywise.",
       "Always choose to be charged in the local currency at foreign ATMs, as the machine's own conversion is usually more expensive.",
       "Pennywise Plus members get free withdrawals at any ATM worldwide, although operator surcharges may still apply."],
      [(["How many partner ATMs are there?", "Are partner ATMs easy to find?"],
        ["The partner network has over 40,000 ATMs across the US, including many in pharmacies and grocery stores.",
         "The ATM map in the app shows the closest ones and filters out any that charge a surcharge."]),
       (["Can I raise my ATM limit for one day?", "Is the cash limit ever higher?"],
        ["The daily ATM limit can't be raised, but a bank branch that offers cash withdrawals on debit cards may let you take out more.",
         "Alternatively, split the withdrawal across two days."])],
      ["find a free atm", "check my atm withdrawal limit", "report an atm that didnt give cash",
       "withdraw cash abroad", "avoid atm fees"],
      ["the atm ate my card", "atm didnt give me money", "i was charged an atm fee",
       "cant find a free atm nearby"]),

    T("pending_transactions", "pending transactions and holds", 56,
      ["Good question, as pending transactions can be confusing.",
       "Sorry for the confusion about your balance.",
       "Happy to explain what's going on with that pending charge."],
      ["There's a pending charge of {amount} from {merchant} that's been there for {ndays} days.",
       "A hotel put a hold on my card when I checked in.",
       "My balance is lower than it should be because of pending payments.",
       "I see a pending transaction for a purchase I cancelled.",
       "A pending charge from {merchant} shows a different amount from my receipt.",
       "I rented a car and there's a large hold on my account."],
      ["How long do pending transactions take to clear?",
       "Why is the pending amount different from what I paid?",
       "Can you cancel a pending transaction?",
       "Why does my available balance not match my account balance?",
       "When will a hotel hold be released?", "Why did a pending charge disappear?"],
      ["A pending transaction means the merchant has authorised the payment but hasn't collected it yet.",
       "Most pending transactions settle within 1 to 3 business days, although some merchants take up to 7 days.",
       "Hotels, car rental companies and gas stations often place a hold larger than the final bill, and the difference is released when the payment settles.",
       "If a pending transaction isn't collected within 7 days, the hold drops off and the money goes back to your available balance.",
       "Tips at restaurants are often added when the payment settles, which is why the final amount can be higher than the pending one.",
       "We can't cancel a pending transaction ourselves, because only the merchant can release the authorisation.",
       "Your available balance already excludes pending payments, so it shows what you can actually spend.",
       "If a pending charge disappears, it usually means the merchant cancelled the authorisation or combined it into a single final payment.",
       "If a cancelled purchase still shows as pending, ask the merchant to release the authorisation, which is usually quicker than waiting.",
       "You can tap any pending transaction to see when it was authorised and by which merchant."],
      [(["What if the hold is still there after a week?", "The hold hasn't dropped off after 7 days. What now?"],
        ["If it's been more than 7 days, message us in chat and we'll check the status of the authorisation.",
         "In most cases we can release holds that the merchant never collected."]),
       (["Could I be charged twice, once for the hold and once for the payment?", "Will the hold and the final charge both come out?"],
        ["No, the final payment replaces the hold, so you're only charged once.",
         "Sometimes both appear briefly side by side, but the hold is removed shortly after."])],
      ["release a pending charge", "cancel a pending transaction", "find out when a hold drops off",
       "see my available balance"],
      ["pending charge is taking forever", "hotel hold on my card", "pending amount is wrong",
       "my balance is lower because of pending payments"]),

    T("international_transfers", "sending money abroad", 66,
      ["Happy to help you send money abroad.",
       "Sorry the transfer is taking a while, so let's check on it.",
       "Good question, and here's how international transfers work."],
      ["I need to send {big_amount} to my family in {country}.",
       "I'm paying a deposit for a rental apartment in {country}.",
       "My sister studies in {country} and I help with her rent.",
       "I sent money abroad {time_ago} and it hasn't arrived yet.",
       "The recipient in {country} received less than I sent.",
       "I'm paying for a language course in {country}."],
      ["How do I send money abroad with Pennywise?", "How much does an international transfer cost?",
       "How long does it take for money to arrive overseas?", "Which countries can I send money to?",
       "What details do I need from the recipient?", "Why did the recipient get less than I sent?",
       "Can I cancel an international transfer?"],
      ["Tap Payments, then Send abroad, choose the country and currency, and add the recipient's bank details.",
       "Each international transfer costs a flat $4.99, plus a 0.5% exchange markup on weekdays.",
       "You'll see the exact amount the recipient will receive before you confirm.",
       "Most transfers arrive within 1 to 2 business days, while some countries can take up to 5.",
       "We support transfers to more than 40 countries, and the list in the app is always up to date.",
       "Depending on the country, you'll need the recipient's IBAN or account number, plus the bank's SWIFT code.",
       "The recipient's bank may deduct its own fee when it receives the money, which can explain a smaller amount.",
       "Transfers can be cancelled free of charge as long as the status still shows Processing.",
       "International transfers count toward your daily transfer limit of $5,000.",
       "You can track each transfer in Activity, where the status updates at every stage."],
      [(["Can the recipient get the money in cash?", "Is there a cash pickup option?"],
        ["At the moment we only send to bank accounts, not cash pickup locations.",
         "The recipient will need an account in the destination country to receive the transfer."]),
       (["What if I entered the wrong account details?", "I think the bank details were wrong. Can it be fixed?"],
        ["If the transfer is still Processing, cancel it and send a new one with the right details.",
         "If it has already been sent, the receiving bank usually returns it within 5 to 10 business days, minus any fees it charges."])],
      ["send money abroad", "check the fee for an international transfer",
       "track an international transfer", "cancel a transfer abroad"],
      ["my international transfer hasnt arrived", "recipient got less money than i sent",
       "need to send money overseas", "transfer abroad stuck in processing"]),

    T("peer_payments", "sending money to friends and splitting bills", 64,
      ["Happy to help you settle up with friends.",
       "Sure, paying friends is one of the quickest things to do in the app.",
       "Sorry for the mix-up, so let's see what can be done."],
      ["I owe my roommate {amount} for groceries.",
       "I went out for dinner with a group of friends and paid the whole bill of {amount}.",
       "A friend sent me money {time_ago} but I can't see it.",
       "I sent {amount} to the wrong person by mistake.",
       "My friend doesn't use Pennywise.",
       "I want to collect money from friends for a birthday gift."],
      ["How do I send money to a friend?", "Can I split a bill with friends in the app?",
       "How do I request money from someone?", "Can I get back money I sent to the wrong person?",
       "Can I pay someone who doesn't have Pennywise?", "Is there a fee for sending money to friends?",
       "Why haven't I received the money my friend sent?"],
      ["Tap Payments, then Send to friends, pick a contact and enter the amount.",
       "Payments between Pennywise users arrive instantly and are always free.",
       "To split a bill, open the card payment in Activity, tap Split, and choose who to share it with.",
       "Tap Request to send someone a payment request, and they'll be notified to pay you in the app.",
       "If your friend doesn't use Pennywise, you can send to their bank account using their account and routing numbers.",
       "Always double-check the contact before you tap Send, because instant payments can't be cancelled.",
       "If you sent money to the wrong person, ask them to return it using the Send back button on the payment.",
       "If the person won't return a mistaken payment, contact us and we'll try to help, although we can't guarantee recovery.",
       "Payments from friends show up in Activity immediately, and you'll get a notification too.",
       "Payments to friends count toward your daily transfer limit."],
      [(["What if my friend doesn't pay the split?", "Can I remind someone about a split?"],
        ["You can send a reminder from the split in Activity, once a day at most.",
         "The split stays open until everyone has paid or you close it."]),
       (["Can I add a note to the payment?", "Is there a way to say what the payment is for?"],
        ["Yes, there's a Note field before you confirm, and the other person sees it with the payment.",
         "Notes also make it easier to search your Activity later."])],
      ["send money to a friend", "split a bill", "request money from someone",
       "pay someone without pennywise", "get back money i sent to the wrong person"],
      ["i sent money to the wrong person", "my friends payment hasnt arrived",
       "need to split dinner with friends", "i owe my roommate money"]),

    T("card_activation", "card delivery and activation", 50,
      ["Exciting, your new card is almost ready to use.",
       "Happy to help you get your card up and running.",
       "Sorry for the wait, so let's check on your card."],
      ["My new card arrived {time_ago}.",
       "It has been {ndays} days since I ordered my card and it still hasn't arrived.",
       "My card expires at the end of {month}.",
       "I received a replacement card but the old one still works.",
       "I just opened my account and I'm waiting for my first card.",
       "My card arrived damaged."],
      ["How do I activate my new card?", "How long does card delivery take?", "Can I track my card?",
       "What if my card never arrives?", "Will my card number change when my card expires?",
       "How do I set my PIN?", "Can I use my card before it arrives?"],
      ["Tap Cards, then Activate card, and scan the card or enter the last four digits of the card number.",
       "Standard delivery is free and takes 5 to 7 business days after the card is dispatched.",
       "Express delivery costs $15 and usually arrives within 2 business days.",
       "You can track the card under Cards, where the status changes to Dispatched once it leaves our card printer.",
       "If the card hasn't arrived after 10 business days, we'll cancel it and send a new one for free.",
       "Your PIN is set in the app under Cards, then Card settings, then Set PIN.",
       "Your virtual card is available as soon as you open the account, so you can shop online or add it to your phone wallet before the physical card arrives.",
       "Renewed cards keep the same card number but have a new expiry date and security code.",
       "Once you activate the new card, the old one stops working automatically.",
       "If the card arrives damaged, freeze it and order a replacement at no cost."],
      [(["Do I need to update my subscriptions with the renewed card?", "Will my subscriptions work with the renewed card?"],
        ["Because the card number stays the same, most subscriptions continue without any changes.",
         "A few merchants check the expiry date, so update it there if a payment fails."]),
       (["Can I change my PIN later?", "What if I want a different PIN?"],
        ["Yes, you can change your PIN at any time in the same Set PIN screen.",
         "Some ATMs also let you change it, but the app is the quickest way."])],
      ["activate my new card", "track my card delivery", "set my card pin", "order a new card"],
      ["my card hasnt arrived", "new card wont activate", "my card arrived damaged",
       "my card is expiring"]),

    # ---- rare topics: the planted long tail -------------------------------------------------
    T("power_of_attorney", "power of attorney", 5,
      ["Thanks for helping your family member with this, and we'll make the process as simple as possible.",
       "I'm sorry to hear about the situation, and I'm glad you're getting support in place."],
      ["My elderly father can no longer manage his finances on his own.",
       "I've been given power of attorney for a relative who is in hospital.",
       "My mother wants me to help with her banking while she recovers from surgery."],
      ["How do I register a power of attorney on a Pennywise account?",
       "What documents do you need to accept a power of attorney?",
       "Can I manage the account from my own app once the power of attorney is approved?",
       "How long does it take to register a power of attorney?"],
      ["To register a power of attorney, send us a message in chat and choose Power of attorney as the topic.",
       "We'll ask for a certified copy of the power of attorney document and a valid photo ID for the attorney.",
       "Our specialist team reviews each document, which usually takes 5 to 10 business days.",
       "Once it's approved, the attorney gets their own login with access to the account, separate from the account holder's login.",
       "The account holder's own access can stay in place if they still want to use the app.",
       "We'll confirm in writing once the registration is complete.",
       "If the document is limited to certain tasks, we'll set up access to match those limits."],
      [(["Can the power of attorney be cancelled later?", "What if we want to remove the power of attorney?"],
        ["Yes, the account holder or the attorney can ask us to remove it at any time by messaging us in chat.",
         "We'll ask for a copy of the revocation document if there is one."])],
      ["register a power of attorney", "manage my dads account with power of attorney",
       "add an attorney to an account"],
      ["i have power of attorney for my mom", "need to handle banking for a relative in hospital"]),

    T("deceased_account_holder", "deceased account holder", 4,
      ["I'm very sorry for your loss.",
       "Please accept our condolences, and thank you for letting us know."],
      ["My father passed away {time_ago} and he had an account with Pennywise.",
       "I'm the executor of my aunt's estate and she banked with Pennywise.",
       "My husband died recently and we had a joint account."],
      ["What do I need to do to close the account?", "How do I access the money in the account?",
       "What documents do you need from the executor?", "What happens to a joint account when one holder dies?"],
      ["You can notify us through the Bereavement form in the Help section of the app, or by messaging our support team.",
       "We'll ask for a copy of the death certificate and proof of your role, such as letters of administration or an executor appointment.",
       "Once we're notified, we freeze the account to protect it, and card payments and scheduled transfers stop.",
       "Regular deposits such as pensions may still arrive and will be held until the estate is settled.",
       "For joint accounts, the account usually passes to the surviving holder, who keeps full access.",
       "Our bereavement team handles every case personally and will keep you updated at each step.",
       "When the paperwork is complete, the remaining balance is paid to the estate or the named beneficiary."],
      [(["How long does the process usually take?", "When will the estate be settled?"],
        ["Most estates are settled within 4 to 6 weeks once we have all the documents.",
         "Our bereavement team will contact you if anything else is needed."])],
      ["close a deceased parents account", "notify pennywise about a death",
       "access a deceased relatives account"],
      ["my father passed away and had a pennywise account", "im the executor of an estate"]),

    T("sanctions_frozen_funds", "sanctions screening and frozen funds", 6,
      ["I understand how stressful it is not to have access to your money.",
       "Thanks for your patience while this is looked at."],
      ["My account was suddenly frozen after I received a transfer from {country}.",
       "A payment I sent abroad was blocked and the app says it is under compliance review.",
       "I can't access my balance and the app says my account is restricted.",
       "A transfer I was expecting from a relative overseas is being held."],
      ["Why are my funds frozen?", "How long will the compliance review take?",
       "Can you tell me what triggered the restriction?", "What can I do to get my money released?"],
      ["We're required by law to screen payments against sanctions lists and other regulatory checks.",
       "When a payment matches certain criteria, it's held while our compliance team reviews it.",
       "Reviews are usually completed within 5 business days, although some cases take longer if we need more information.",
       "For legal reasons we may not be able to share the specific reason for a review.",
       "If we need anything from you, such as the source of the funds or the purpose of the payment, we'll ask through the app.",
       "Responding quickly to any request for information is the best way to speed up the review.",
       "If the review clears the payment, the funds are released automatically and you'll get a notification.",
       "In some cases we're legally required to keep funds frozen, and we'll explain what options are available."],
      [(["Will this happen every time I receive money from abroad?", "Is this going to happen again?"],
        ["Not necessarily, because most international payments pass the checks without any delay.",
         "Reviews are triggered case by case, and a past review doesn't mean future payments will be held."])],
      ["get my frozen funds released", "find out why my account is restricted",
       "check on a compliance review"],
      ["my account is frozen", "my transfer is stuck in compliance review", "my money is being held"]),
]

# For every topic, the steps that answer each question (same order as "questions"): an answer
# leads with these and adds a few other steps from the topic.
QCORE = {
    "card_lost_stolen": [[0, 2], [0, 3, 11], [0, 1], [9, 3], [4, 5], [2, 1], [7, 6], [8, 10], [3, 11, 1]],
    "refunds": [[0, 1], [1, 4], [3, 2], [2, 8], [6, 5], [3], [9, 1], [5, 9, 10]],
    "transfer_limits": [[0, 1], [4, 5], [0, 9, 3], [2], [7], [6], [5, 10], [4, 8]],
    "failed_payments": [[0, 1], [2, 3], [0, 10], [6, 5], [4], [8, 0], [3]],
    "password_reset": [[0, 1], [4], [1, 3], [7], [5, 6], [4, 0], [8, 10], [0, 2]],
    "two_factor_auth": [[0, 1], [4, 2], [6], [2, 3], [8, 9], [7, 10], [5]],
    "statements": [[0, 1], [2], [3, 9], [4, 5], [1], [6, 9], [7]],
    "fees": [[0, 7], [0], [6, 9], [1, 10], [4, 8], [6, 7], [9]],
    "savings_goals": [[0, 9], [3, 5], [1], [2], [4], [6], [7]],
    "direct_deposit": [[0, 1], [2, 3], [5, 4], [6], [1], [4], [3]],
    "disputes": [[0, 1], [4, 9], [3, 8], [5], [2], [1], [7]],
    "currency_exchange": [[0, 7], [1, 2], [2], [4, 5], [3], [6], [8, 2]],
    "app_crash": [[0, 1], [10, 7], [3, 4], [3], [8], [9], [6]],
    "account_closure": [[0, 1], [1], [9], [5, 6], [3], [4, 2], [7]],
    "overdraft": [[0], [1, 3], [2], [3], [4], [7], [8, 5]],
    "cheque_deposit": [[0, 1], [3, 8], [5], [4], [6], [2], [7]],
    "budgeting": [[0, 6], [1], [2], [3], [4], [5, 7], [0, 3]],
    "interest_rates": [[0, 1], [3, 9], [3], [2], [1], [8, 7], [4]],
    "joint_accounts": [[0, 1], [1, 2], [3], [6, 9], [4], [5], [8]],
    "notifications": [[0], [1, 2], [3, 8], [4], [5], [6]],
    "card_declined": [[0, 9], [0], [1, 6], [5], [2, 4], [4, 7], [8, 1]],
    "virtual_cards": [[0], [1], [2], [3], [1], [4], [6, 7]],
    "recurring_payments": [[3, 2], [1], [2, 0], [4], [6], [5], [7, 3]],
    "identity_verification": [[0], [2, 8], [1, 6], [3], [4], [5], [7]],
    "update_details": [[0, 1], [2, 3], [4, 6], [5], [6, 1], [0, 7]],
    "atm_withdrawals": [[0, 7], [2], [3, 4], [5, 8], [1, 9], [6], [7]],
    "pending_transactions": [[1, 3], [4, 2], [5, 8], [6], [2, 3], [7]],
    "international_transfers": [[0, 2], [1, 6], [3, 9], [4], [5], [6], [7]],
    "peer_payments": [[0, 1], [2], [3], [6, 7], [4], [1], [8]],
    "card_activation": [[0, 8], [1, 2], [3], [4], [7], [5], [6]],
    "power_of_attorney": [[0, 1], [1], [3, 4], [2, 5]],
    "deceased_account_holder": [[0, 1], [6, 1], [1], [4]],
    "sanctions_frozen_funds": [[0, 1], [2, 5], [3], [4, 5, 6]],
}
for _t in TOPICS:
    _t["core"] = QCORE[_t["name"]]
    assert len(_t["core"]) == len(_t["questions"]), _t["name"]
    assert all(0 <= i < len(_t["steps"]) for c in _t["core"] for i in c), _t["name"]

RARE_TOPICS = ["power_of_attorney", "deceased_account_holder", "sanctions_frozen_funds"]
TOPIC_BY_NAME = {t["name"]: t for t in TOPICS}
REGULAR_TOPICS = [t for t in TOPICS if t["name"] not in RARE_TOPICS]

# Production-only topics (never covered by the SFT set).
UNCOVERED_TOPICS = {
    "crypto_trading": {
        "label": "buying and selling cryptocurrency in the app", "count": 30,
        "acts": ["buy bitcoin in the app", "sell my crypto", "buy ethereum",
                 "transfer crypto to an external wallet", "see my crypto balance",
                 "set up recurring bitcoin purchases", "cash out my crypto to my balance",
                 "check crypto trading fees", "buy crypto with money from my savings",
                 "move bitcoin from another exchange into pennywise"],
        "states": ["the bitcoin price in the app looks off", "my crypto sell order is stuck",
                   "does pennywise support dogecoin", "i want to start investing in crypto",
                   "my crypto purchase failed", "are my crypto holdings insured"],
    },
    "business_accounts_payroll": {
        "label": "business accounts and payroll", "count": 28,
        "acts": ["open a business account", "run payroll for my employees",
                 "pay my staff through pennywise", "add an employee to payroll",
                 "get a business debit card for my employee", "send invoices to my customers",
                 "connect my business account to accounting software",
                 "set up a business account for my llc", "pay contractors in bulk",
                 "keep my business and personal spending separate"],
        "states": ["i own a small bakery and need a business account",
                   "i have to run payroll for 12 employees", "my llc needs a bank account",
                   "i need to pay my team every friday", "my business needs multiple cards"],
    },
    "accessibility": {
        "label": "accessibility, screen readers and large text", "count": 32,
        "acts": ["make the text bigger in the app", "use the app with a screen reader",
                 "turn on high contrast mode", "use voiceover with pennywise",
                 "get statements in large print", "turn off animations in the app",
                 "use talkback on android with the app", "get braille statements",
                 "increase the font size", "navigate the app with a keyboard"],
        "states": ["the text in the app is too small for me",
                   "voiceover skips the balance on the home screen",
                   "im blind and need help using the app",
                   "colours are hard to tell apart with my colour blindness",
                   "i have dyslexia and find the app hard to read",
                   "the buttons are too small for my shaky hands"],
    },
}
# Words that must never appear in the SFT / eval sets (they would cover the uncovered topics).
UNCOVERED_KEYWORDS = [
    "crypto", "bitcoin", "ethereum", "dogecoin", "payroll", "business account", "employees",
    "invoice", "screen reader", "voiceover", "talkback", "large text", "font size",
    "accessibility", "dyslexia", "braille", "high contrast", "colour blind",
]

# ---------------------------------------------------------------------------------------------
# Text utilities and similarity
# ---------------------------------------------------------------------------------------------


def nfc(s):
    return unicodedata.normalize("NFC", s)


def norm_prompt(s):
    """NFC, lowercase, strip punctuation (Unicode category P*), collapse whitespace."""
    s = nfc(s).lower()
    s = "".join(ch for ch in s if not unicodedata.category(ch).startswith("P"))
    return " ".join(s.split())


def words(s):
    """Shingle tokens: NFC, lowercase, every non-word character is a separator."""
    return re.sub(r"[^\w]+", " ", nfc(s).lower()).split()


def shingles(s, n=SHINGLE_N):
    w = words(s)
    if len(w) < n:
        return {" ".join(w)} if w else set()
    return {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}


def jaccard(a, b):
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def convo_text(messages):
    """The text compared for duplicates: every user and assistant content, joined by a space."""
    return " ".join(m["content"] for m in messages if m["role"] in ("user", "assistant"))


def first_user(messages):
    for m in messages:
        if m["role"] == "user":
            return m["content"]
    return ""


def word_count(s):
    return len(s.split())


class SimIndex:
    """Inverted index over word 5-gram shingles: max Jaccard of a new text against all texts."""

    def __init__(self):
        self.post = {}
        self.sets = []
        self.keys = []

    def best(self, sh):
        counts = {}
        for s in sh:
            for d in self.post.get(s, ()):
                counts[d] = counts.get(d, 0) + 1
        best, best_doc = 0.0, None
        for d in sorted(counts):
            c = counts[d]
            j = c / (len(sh) + len(self.sets[d]) - c)
            if j > best:
                best, best_doc = j, d
        return best, (self.keys[best_doc] if best_doc is not None else None)

    def add(self, sh, key):
        d = len(self.sets)
        self.sets.append(sh)
        self.keys.append(key)
        for s in sh:
            self.post.setdefault(s, []).append(d)


def turn_shingles(text, n=5):
    """Character 5-grams of a normalised user turn: what leakage checks compare (greetings included)."""
    t = norm_prompt(text)
    return {t[i:i + n] for i in range(max(1, len(t) - n + 1))}


def train_turn_index(sft):
    idx = SimIndex()
    for r in sft:
        for m in r["messages"]:
            if m["role"] == "user":
                idx.add(turn_shingles(m["content"]), r["id"] if "id" in r else r.get("uid"))
    return idx


def pairs_at_or_above(texts, threshold):
    """All pairs (key_a, key_b, jaccard) with Jaccard >= threshold, via an inverted index."""
    idx = SimIndex()
    found = []
    for key, text in texts:
        sh = shingles(text)
        counts = {}
        for s in sh:
            for d in idx.post.get(s, ()):
                counts[d] = counts.get(d, 0) + 1
        for d in sorted(counts):
            c = counts[d]
            j = c / (len(sh) + len(idx.sets[d]) - c)
            if j >= threshold:
                found.append((idx.keys[d], key, round(j, 4)))
        idx.add(sh, key)
    return found


LOWERABLE = {
    "My", "A", "An", "The", "There", "It", "We", "Since", "Our", "How", "What", "Can", "Is",
    "Why", "Do", "Does", "Will", "When", "Where", "Which", "Should", "Could", "Any", "Are",
    "Who", "Please",
}


def join_greeting(greeting, text):
    if greeting.endswith(","):
        first = re.match(r"[A-Za-z]*", text).group(0)
        if first in LOWERABLE:
            text = text[0].lower() + text[1:]
    return greeting + " " + text


# ---------------------------------------------------------------------------------------------
# Composition of conversations
# ---------------------------------------------------------------------------------------------


def compose_user(t, rng):
    """A first user turn: optional greeting, optional context, question, optional sign-off."""
    qi = rng.randrange(len(t["questions"]))
    question = fill(t["questions"][qi], rng)
    context = fill(rng.choice(t["contexts"]), rng) if rng.random() < 0.7 else None
    greeting = rng.choice(GREETINGS) if rng.random() < 0.35 else None
    signoff = rng.choice(SIGNOFFS) if rng.random() < 0.25 else None
    if context and rng.random() < 0.15:
        head, tail = question, [context]
    else:
        head, tail = (context, [question]) if context else (question, [])
    lead = join_greeting(greeting, head) if greeting else head
    parts = [lead] + tail + ([signoff] if signoff else [])
    # parts[0] always holds the greeting (if any); split_at marks where the question starts
    split_at = 1 if context and tail == [question] else None
    return " ".join(parts), {"parts": parts, "split_at": split_at, "qi": qi}


def make_answer(t, rng, qi, exclude=()):
    core = [i for i in t["core"][qi] if i not in exclude]
    pool = [i for i in range(len(t["steps"])) if i not in exclude and i not in core]
    n_extra = rng.choice([0, 1, 1, 1, 2, 2, 3])
    n_extra = max(2 - len(core), min(n_extra, 5 - len(core), len(pool)))
    chosen = core + sorted(rng.sample(pool, n_extra))
    r = rng.random()
    if t["name"] in RARE_TOPICS:  # sensitive topics always open with an empathetic line
        opener = rng.choice(t["acks"])
    else:
        opener = rng.choice(t["acks"]) if r < 0.5 else (rng.choice(OPENERS) if r < 0.9 else None)
    fmt = "list" if len(chosen) >= 3 and rng.random() < 0.3 else "para"
    return {
        "opener": opener,
        "intro": rng.choice(LIST_INTROS) if fmt == "list" else None,
        "pre": [],
        "steps": [fill(t["steps"][i], rng) for i in chosen],
        "step_ids": chosen,
        "extra": [],
        "tip": rng.choice(TIPS) if rng.random() < 0.4 else None,
        "closer": rng.choice(CLOSERS) if rng.random() < 0.8 else None,
        "fmt": fmt,
        "suffix": "",
        "override": None,
    }


def make_followup_answer(t, fu, rng, used_steps):
    sentences = [fill(s, rng) for s in fu[1]]
    openers = FOLLOWUP_OPENERS
    if re.match(r"(Yes|No)\b", sentences[0]):
        openers = [o for o in FOLLOWUP_OPENERS if not o.startswith(("Yes", "Sure", "Absolutely", "Of course"))]
    ans = {
        "opener": rng.choice(openers) if rng.random() < 0.7 else None,
        "intro": None, "pre": [], "steps": sentences, "step_ids": [], "extra": [],
        "tip": None, "closer": rng.choice(CLOSERS) if rng.random() < 0.6 else None,
        "fmt": "para", "suffix": "", "override": None,
    }
    spare = [i for i in range(len(t["steps"])) if i not in used_steps]
    if spare and rng.random() < 0.5:
        ans["extra"].append(fill(t["steps"][rng.choice(spare)], rng))
    while word_count(render_answer(ans)) < 40:
        if ans["closer"] is None:
            ans["closer"] = rng.choice(CLOSERS)
        elif ans["tip"] is None:
            ans["tip"] = rng.choice(TIPS)
        elif spare:
            ans["extra"].append(fill(t["steps"][spare.pop(0)], rng))
        else:
            break
    return ans


def render_answer(a):
    if a["override"] is not None:
        return a["override"]
    if a["fmt"] == "para":
        seq = [a["opener"]] + a["pre"] + a["steps"] + a["extra"] + [a["tip"], a["closer"]]
        text = " ".join(x for x in seq if x)
    else:
        head = " ".join(x for x in [a["opener"]] + a["pre"] + [a["intro"]] if x)
        lst = "\n".join("%d. %s" % (i + 1, s) for i, s in enumerate(a["steps"]))
        tail = " ".join(x for x in a["extra"] + [a["tip"], a["closer"]] if x)
        text = head + "\n\n" + lst + ("\n\n" + tail if tail else "")
    return text + a["suffix"]


def render(rec):
    msgs = []
    if rec["system"]:
        msgs.append({"role": "system", "content": rec["system"]})
    for turn in rec["turns"]:
        if turn.get("user") is not None:
            msgs.append({"role": "user", "content": turn["user"]})
        if turn.get("answer") is not None:
            msgs.append({"role": "assistant", "content": render_answer(turn["answer"])})
    return msgs


def gen_conversation(t, rng, multi_prob=0.15, system_prob=0.3):
    """One candidate record (structure only) for topic t."""
    system = rng.choice(SYSTEM_PROMPTS) if rng.random() < system_prob else None
    user, uparts = compose_user(t, rng)
    ans = make_answer(t, rng, uparts["qi"])
    turns = [{"user": user, "uparts": uparts, "answer": ans}]
    if rng.random() < multi_prob:
        n_follow = 1 if (len(t["followups"]) < 2 or rng.random() < 0.7) else 2
        used = set(ans["step_ids"])
        for fu in rng.sample(t["followups"], n_follow):
            prefix = rng.choice(FOLLOWUP_PREFIXES) if rng.random() < 0.85 else ""
            q = fill(rng.choice(fu[0]), rng)
            fq = (prefix + " " + q).strip()
            turns.append({"user": fq, "uparts": None,
                          "answer": make_followup_answer(t, fu, rng, used)})
    return {"topic": t["name"], "system": system, "turns": turns}


class Generator:
    """Produces diverse records: every accepted record is checked against all earlier ones."""

    def __init__(self, rng):
        self.rng = rng
        self.index = SimIndex()
        self.prompts = set()      # normalised first user turns
        self.user_turns = set()   # normalised user turns of any position

    def accept_ok(self, rec, extra_ok=None):
        msgs = render(rec)
        if extra_ok is not None and not extra_ok(msgs):
            return None
        fu = norm_prompt(first_user(msgs))
        if fu in self.prompts:
            return None
        uts = [norm_prompt(m["content"]) for m in msgs if m["role"] == "user"]
        if any(u in self.user_turns for u in uts) or len(set(uts)) != len(uts):
            return None
        for m in msgs:
            if m["role"] == "assistant" and not (40 <= word_count(m["content"]) <= 200):
                return None
        sh = shingles(convo_text(msgs))
        best, _ = self.index.best(sh)
        if best >= GEN_MAX_JACCARD:
            return None
        return msgs, fu, uts, sh

    def register(self, key, msgs, sh=None):
        self.prompts.add(norm_prompt(first_user(msgs)))
        for m in msgs:
            if m["role"] == "user":
                self.user_turns.add(norm_prompt(m["content"]))
        self.index.add(sh if sh is not None else shingles(convo_text(msgs)), key)

    def make(self, t, key, tries=400, extra_ok=None, **kw):
        for _ in range(tries):
            rec = gen_conversation(t, self.rng, **kw)
            ok = self.accept_ok(rec, extra_ok)
            if ok:
                msgs, fu, uts, sh = ok
                self.register(key, msgs, sh)
                return rec
        raise RuntimeError("could not generate a diverse record for topic %s" % t["name"])

    def unique_user_text(self, make_text, tries=200):
        for _ in range(tries):
            text = make_text()
            n = norm_prompt(text)
            if n not in self.user_turns and n not in self.prompts:
                self.user_turns.add(n)
                return text
        raise RuntimeError("could not find a unique user turn")

# ---------------------------------------------------------------------------------------------
# PII values (all synthetic; phone numbers use the fictional 555-01xx range)
# ---------------------------------------------------------------------------------------------

FIRST_NAMES = [
    "Maria", "James", "Priya", "Daniel", "Aisha", "Tomasz", "Keiko", "Oliver", "Fatima",
    "Lucas", "Grace", "Mateo", "Hannah", "Samuel", "Ingrid", "Kwame", "Elena", "Marcus",
    "Sofia", "Rajesh", "Chloe", "Dmitri",
]
LAST_NAMES = [
    "Whitfield", "Okafor", "Lindqvist", "Moreno", "Castellano", "Brennan", "Nakamura",
    "Adeyemi", "Kowalski", "Harrington", "Delgado", "Fitzgerald", "Schneider", "Patel",
    "Marchetti", "Thornbury", "Vasquez", "Oyelaran", "Sorensen", "Gallagher",
]
AREA_CODES = ["415", "212", "312", "646", "718", "503", "206", "617", "303", "512", "404"]
STREETS = ["Maple", "Oak", "Cedar", "Pine", "Elm", "Willow", "Lakeview", "Hillcrest", "Sunset",
           "Birch", "Juniper", "Magnolia"]
STREET_SUFFIX = ["Avenue", "Street", "Road", "Drive", "Lane", "Boulevard", "Court"]
CITIES = [("Springfield", "IL", "627"), ("Portland", "OR", "972"), ("Austin", "TX", "787"),
          ("Columbus", "OH", "432"), ("Madison", "WI", "537"), ("Raleigh", "NC", "276"),
          ("Boise", "ID", "837"), ("Tucson", "AZ", "857")]
BASE62 = string.digits + string.ascii_letters


def luhn_complete(prefix, length, rng):
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(rng.randint(0, 9))
    total = 0
    for i, d in enumerate(reversed(digits)):  # the check digit will sit to the right
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    digits.append((10 - total % 10) % 10)
    return "".join(map(str, digits))


def luhn_ok(number):
    ds = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_check_ok(iban):
    s = iban.replace(" ", "")
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban(country, bban):
    rearranged = bban + country + "00"
    num = int("".join(str(int(c, 36)) for c in rearranged))
    return "%s%02d%s" % (country, 98 - num % 97, bban)


def pii_value(kind, rng):
    if kind == "PERSON":
        return "%s %s" % (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
    if kind == "EMAIL_ADDRESS":
        return "%s.%s%d@%s" % (rng.choice(FIRST_NAMES).lower(), rng.choice(LAST_NAMES).lower(),
                               rng.randint(1, 99),
                               # ordinary mail providers: example.* is reserved for documentation (RFC 2606) and so is not
                               # personal data; the planted addresses must look like someone's
                               rng.choice(["gmail.com", "outlook.com", "proton.me", "yahoo.co.uk"]))
    if kind == "PHONE_NUMBER":
        area, last = rng.choice(AREA_CODES), "01%02d" % rng.randint(0, 99)
        if rng.random() < 0.5:
            return "(%s) 555-%s" % (area, last)
        return "+1 %s 555 %s" % (area, last)
    if kind == "CREDIT_CARD":
        num = luhn_complete(rng.choice(["4", "4", "51", "53", "55"]), 16, rng)
        sep = rng.choice([" ", "-"])
        v = sep.join(num[i:i + 4] for i in range(0, 16, 4))
        assert luhn_ok(v)
        return v
    if kind == "US_SSN":
        area = rng.choice([a for a in range(1, 900) if a != 666])
        return "%03d-%02d-%04d" % (area, rng.randint(1, 99), rng.randint(1, 9999))
    if kind == "IBAN_CODE":
        if rng.random() < 0.5:
            bban = "%08d%010d" % (rng.randint(10000000, 89999999), rng.randint(0, 9999999999))
            iban = make_iban("DE", bban)
        else:
            bank = rng.choice(["NWBK", "BARC", "LOYD", "MIDL", "HBUK"])
            bban = "%s%06d%08d" % (bank, rng.randint(100000, 999999), rng.randint(0, 99999999))
            iban = make_iban("GB", bban)
        assert iban_check_ok(iban)
        if rng.random() < 0.5:
            iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
            assert iban_check_ok(iban)
        return iban
    if kind == "IP_ADDRESS":
        first = rng.choice([(81, 2, 69), (176, 58, 12), (92, 40, 3), None])  # public ranges, not documentation ones (RFC 5737)
        if first:
            return "%d.%d.%d.%d" % (first + (rng.randint(2, 254),))
        return "%d.%d.%d.%d" % (rng.choice([84, 91, 73, 24, 68]), rng.randint(1, 254),
                                rng.randint(1, 254), rng.randint(2, 254))
    if kind == "STREET_ADDRESS":
        city, state, zip3 = rng.choice(CITIES)
        return "%d %s %s, %s, %s %s%02d" % (rng.randint(12, 9899), rng.choice(STREETS),
                                              rng.choice(STREET_SUFFIX), city, state, zip3,
                                              rng.randint(1, 99))
    if kind == "API_KEY":
        style = rng.choice(["sk", "akia", "ghp"])
        if style == "sk":
            return "sk-live-" + "".join(rng.choice(BASE62) for _ in range(32))
        if style == "akia":
            return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
        return "ghp_" + "".join(rng.choice(BASE62) for _ in range(36))
    raise KeyError(kind)


PII_TYPES = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE",
             "IP_ADDRESS", "STREET_ADDRESS", "API_KEY"]
PII_USER_TEMPLATES = {
    "PERSON": ["My name is {v}, in case you need it.", "This is {v} writing about my account.",
               "The account is in my name, {v}."],
    "EMAIL_ADDRESS": ["My email is {v} if you need to reach me.", "You can email me at {v}."],
    "PHONE_NUMBER": ["My phone number is {v}.", "Call me back on {v} if that's easier."],
    "CREDIT_CARD": ["My card number is {v}.", "The card in question is {v}."],
    "US_SSN": ["My social security number is {v} if you need to verify me.",
               "For verification, my SSN is {v}."],
    "IBAN_CODE": ["The money came from my old account, IBAN {v}.",
                  "The account I'm sending to has the IBAN {v}."],
    "IP_ADDRESS": ["I was logging in from IP address {v} when it happened.",
                   "My router's IP is {v}, maybe that helps."],
    "STREET_ADDRESS": ["My address is {v}.", "Please send anything by post to {v}."],
    "API_KEY": ["I'm testing the developer API with the key {v} and it keeps failing.",
                "Here is my API key in case it helps: {v}."],
}
PII_ASSISTANT_TEMPLATES = {
    "PERSON": ["Thanks for your patience, {v}.", "I've noted that the account holder is {v}."],
    "EMAIL_ADDRESS": ["I've sent a confirmation to {v}.", "We'll send updates to {v}."],
    "PHONE_NUMBER": ["I can see the phone number on file is {v}.",
                     "Our team may call you back on {v}."],
    "CREDIT_CARD": ["I can see the card {v} on your account.",
                    "The card ending in the number {v} has been flagged for review."],
    "US_SSN": ["I've verified your identity using the SSN {v}."],
    "IBAN_CODE": ["The transfer to {v} is now being processed."],
    "IP_ADDRESS": ["The last login on your account came from IP address {v}."],
    "STREET_ADDRESS": ["I can see your address on file is {v}."],
    "API_KEY": ["For testing, you can use the key {v} in your requests."],
}

# ---------------------------------------------------------------------------------------------
# Other planted content
# ---------------------------------------------------------------------------------------------

PLACEHOLDERS = ["N/A", "<nooutput>", "No output", "n/a.", "TBD", "...", "N/A", "<nooutput>"]
EMPTIES = ["", " ", "\n", "   ", " \n ", "\n\n"]
REFUSALS = [
    "As an AI language model, I cannot access your account or see your transactions.",
    "I'm sorry, but I cannot help with that.",
    "As an AI, I don't have access to personal banking information, so I can't assist with this request.",
    "I'm sorry, I can't assist with that request.",
    "Unfortunately, as an AI language model, I am unable to help with account-specific questions.",
    "I apologize, but I'm not able to help with this. Please contact your bank directly.",
    "As an AI developed to be helpful and harmless, I cannot provide financial advice or access your account details.",
    "I'm sorry, but as an AI language model I can't help with that. Is there something else I can do for you?",
]
CONTROL_CHARS = ["\x00", "\x07", "\x0b", "\x1b", "\x7f", "\x07", "\x1b", "\x00"]
MOJIBAKE_ASSISTANT = [
    "We\u2019re happy to help \u2013 here\u2019s what you need to know.",
    "Good news \u2013 this is quick to sort out.",
    "Thanks for the details \u2013 that\u2019s really helpful.",
    "Here\u2019s the short answer \u2013 it\u2019s easy to fix.",
    "Don\u2019t worry \u2013 you\u2019re in the right place.",
    "That\u2019s a fair question \u2013 let\u2019s look at it.",
]
MOJIBAKE_USER = [
    "I paid at Caf\u00e9 Lumi\u00e8re and it\u2019s not showing correctly.",
    "The charge is from a caf\u00e9 I\u2019ve never visited \u2013 can you check?",
]
TEMPLATE_TOKENS = ["<|im_start|>assistant", "[INST]", "</s>", "<|eot_id|>", "<|im_end|>"]
MERGED_TOPIC_POOL = ["fees", "statements", "savings_goals", "virtual_cards", "notifications",
                     "budgeting", "card_activation", "peer_payments"]
ARITH_TOPICS = ["fees", "atm_withdrawals", "savings_goals", "budgeting", "peer_payments",
                "international_transfers", "currency_exchange"]


def money(x):
    if abs(x - round(x)) < 1e-9:
        return "${:,}".format(int(round(x)))
    return "${:,.2f}".format(x)


def arithmetic_sentence(topic, rng, wrong):
    """A sentence with one stated calculation; returns (sentence, expression, stated, correct)."""
    if topic == "fees" and rng.random() < 0.5:
        topic = "international_transfers_fee"
    if topic == "fees" or topic == "atm_withdrawals":
        n = rng.randint(2, 6)
        correct = round(n * 2.5, 2)
        tpl = "For example, {n} withdrawals outside the partner network would cost {expr} in ATM fees."
        expr_l = "%d x $2.50" % n
    elif topic == "international_transfers_fee":
        n = rng.randint(2, 5)
        correct = round(n * 4.99, 2)
        tpl = "Sending {n} transfers abroad in a month would cost {expr} in transfer fees."
        expr_l = "%d x $4.99" % n
    elif topic == "savings_goals":
        a, n = rng.choice([10, 15, 20, 25, 40, 50, 75]), rng.choice([8, 10, 12, 20, 26])
        correct = a * n
        tpl = "If you move ${a} into the pot every week for {n} weeks, you'll have {expr} saved before interest."
        expr_l = "%d x $%d" % (n, a)
    elif topic == "budgeting":
        if rng.random() < 0.5:
            a = rng.choice([60, 75, 80, 90, 120, 150])
            correct = 4 * a
            tpl = "A grocery budget of ${a} a week adds up to {expr} over a four-week month."
            expr_l = "4 x $%d" % a
        else:
            total, spent = rng.choice([400, 500, 600, 800]), rng.choice([135, 180, 215, 260, 320])
            correct = total - spent
            tpl = "If your monthly dining budget is ${total} and you've spent ${spent} so far, you have {expr} left."
            expr_l = "$%d - $%d" % (total, spent)
            a, n = total, spent
    elif topic == "peer_payments":
        n = rng.choice([2, 3, 4, 5, 6])
        each = rng.choice([18, 24, 30, 35, 42, 45])
        total = n * each
        correct = each
        tpl = "Splitting a ${total} bill between {n} people comes to {expr} each."
        expr_l = "$%d / %d" % (total, n)
    elif topic == "international_transfers":
        a = rng.choice([200, 350, 500, 750, 1000])
        correct = round(a + 4.99, 2)
        tpl = "Sending {amt} abroad plus the $4.99 transfer fee comes to {expr} in total."
        expr_l = "%s + $4.99" % money(a)
    elif topic == "currency_exchange":
        a = rng.choice([400, 600, 1000, 2000, 3000])
        correct = round(a * 0.005, 2)
        tpl = "For example, the 0.5% weekday markup on {amt} is {expr}."
        expr_l = "%s x 0.005" % money(a)
    else:
        raise KeyError(topic)
    stated = correct
    if wrong:
        deltas = [5, 10, -5, 20, 50, -10, 15]
        while stated == correct or stated <= 0:
            d = rng.choice(deltas)
            stated = round(correct + d, 2) if isinstance(correct, float) else correct + d
    expr = "%s = %s" % (expr_l, money(stated))
    fmt_vars = {"n": locals().get("n"), "a": locals().get("a"), "expr": expr,
                "total": locals().get("total"), "spent": locals().get("spent"),
                "amt": money(locals().get("a") or 0)}
    sentence = tpl.format(**fmt_vars)
    return sentence, expr, money(stated), money(correct)


UNANSWERABLE_CUES = [
    ("See the attached screenshot", "append", "See the attached screenshot."),
    ("attached a screenshot", "replace", "I've attached a screenshot of the error message. What does it mean and how do I fix it?"),
    ("as shown in the image below", "prepend", "As shown in the image below, the app shows a red banner on my account."),
    ("check this link", "replace", "Can you check this link: https://pennywise.example/help/{slug} and tell me if it applies to me?"),
    ("summarise the following article", "replace", "Summarise the following article about {label}:"),
    ("look up today's exchange rate online", "replace", "Can you look up today's exchange rate online for {currency} and tell me how much I'd get for {big_amount}?"),
    ("PDF I uploaded", "replace", "Please read the PDF I uploaded and tell me what it says about {label}."),
    ("photo of the receipt", "prepend", "Look at the photo of the receipt I just sent you."),
    ("voice message", "replace", "Listen to the voice message I recorded and answer my question about {label}."),
    ("highlighted part of my screenshot", "prepend", "What does the highlighted part of my screenshot mean?"),
    ("table above", "replace", "Based on the table above, which option should I pick for {label}?"),
    ("check this link", "replace", "Check this link: https://pennywise.example/help/{slug} and summarise it for me."),
]

CONFLICTS = [
    ("fees", "How much does it cost to send money abroad?",
     "Sending money abroad costs a flat $4.99 per transfer, plus a 0.5% exchange markup on weekdays.",
     "International transfers are completely free on every Pennywise plan, with no markup on the exchange rate.",
     ["That means the amount you send is exactly the amount your recipient receives.",
      "There are no hidden charges, whichever country you are sending to."]),
    ("transfer_limits", "What is the daily transfer limit?",
     "For verified accounts, the daily transfer limit is $5,000, with up to $20,000 in any rolling 30-day period.",
     "The daily transfer limit is $10,000 for every account, and there is no monthly cap at all.",
     ["You don't need to verify your identity to use the full limit.",
      "Instant transfers and standard transfers can each use the full $10,000 every day."]),
    ("overdraft", "Does Pennywise charge overdraft fees?",
     "Pennywise never charges overdraft fees, and eligible customers can use Overdraft Cushion to go up to $100 below zero for free.",
     "Yes, each overdraft costs $25, charged once per day while your balance stays below zero.",
     ["The fee is taken automatically from your next deposit.",
      "To avoid it, keep enough money in your account to cover every payment."]),
    ("interest_rates", "What interest rate do Savings Pots pay?",
     "Savings Pots earn 3.75% APY on the Standard plan, or 4.25% APY with Pennywise Plus.",
     "Savings Pots earn a fixed 1.10% APY, and the rate is the same on every plan.",
     ["Because the rate is fixed, it won't change when market rates move.",
      "Interest is paid once a year, on the anniversary of opening the pot."]),
    ("atm_withdrawals", "Are ATM withdrawals free?",
     "Withdrawals at partner ATMs are free, while ATMs outside the network cost $2.50 each on the Standard plan.",
     "Every ATM withdrawal costs $3.00, including at partner ATMs, on all plans.",
     ["The fee is charged at the time of the withdrawal and shows up as a separate line in Activity.",
      "Pennywise Plus doesn't change the ATM fee."]),
    ("refunds", "How long do refunds take to appear?",
     "Merchant refunds usually appear within 3 to 10 business days, depending on when the merchant releases the money.",
     "Refunds always appear instantly, the moment the merchant approves them.",
     ["If you can't see a refund right away, it means the merchant hasn't approved it yet.",
      "There is never any waiting period on the Pennywise side."]),
    ("cheque_deposit", "When is money from a mobile cheque deposit available?",
     "The first $225 is usually available the next business day, and the rest within 2 business days.",
     "Mobile cheque deposits are held for 10 business days before any of the money can be used.",
     ["The hold applies to every cheque, whatever the amount.",
      "You'll get a notification when the full hold period has ended."]),
    ("card_activation", "Is there a fee for a replacement card?",
     "Standard delivery of a replacement card is free, and express delivery costs $15.",
     "Every replacement card costs $10, whichever delivery option you choose.",
     ["The fee is taken from your main balance when you place the order.",
      "Delivery usually takes around a week."]),
    ("direct_deposit", "Can I get my paycheck early with Pennywise?",
     "With Early Pay, your salary can arrive up to two days before your official payday, at no cost.",
     "Pennywise doesn't offer early access to pay, so your salary always arrives on your employer's scheduled payday.",
     ["The exact time depends on when your employer sends the payment.",
      "Deposits are usually visible in your balance by the afternoon of payday."]),
    ("account_closure", "Is there a fee to close my account?",
     "There's no fee to close your account, and you can do it yourself in the app under Profile, then Settings, then Close account.",
     "Closing an account within the first year costs $20, and it can only be done by our support team.",
     ["After the first year, closing the account is free.",
      "Send us a message in chat and a team member will process the closure for you."]),
]

SYNONYMS = {
    "usually": "typically", "typically": "usually", "quickly": "promptly", "tap": "press", "choose": "select", "select": "choose", "check": "review", "review": "check",
    "happy": "glad", "glad": "happy", "money": "funds", "funds": "money", "quick": "fast",
    "fast": "quick", "simply": "just", "just": "simply", "immediately": "instantly",
    "instantly": "immediately", "soon": "shortly", "find": "locate", "start": "begin",
    "small": "minor", "large": "big", "big": "large", "recent": "latest", "latest": "newest",
    "safe": "secure", "secure": "safe", "normally": "usually", "remove": "delete",
    "delete": "remove", "hi": "hello", "hello": "hi", "hey": "hi", "frustrating": "annoying",
    "annoying": "frustrating", "want": "wish", "thanks": "cheers", "missing": "gone",
    "stolen": "taken", "reach": "contact", "mistake": "error", "simple": "easy", "easy": "simple",
}
DELETABLE = {"just", "also", "simply", "really", "usually", "then", "quickly", "still", "actually",
             "always", "directly", "automatically", "normally", "typically", "first", "too"}
INSERT_ADVERBS = ["really", "just", "actually", "still"]
TOKEN_RE = re.compile(r"^(\W*)(\w+)(\W*)$")


def _match_case(src, dst):
    if src.isupper() and len(src) > 1:
        return dst.upper()
    if src[0].isupper():
        return dst[0].upper() + dst[1:]
    return dst


def edit_options(text, ops=("substitute", "insert", "delete")):
    toks = text.split(" ")
    options = []
    for i, tok in enumerate(toks):
        m = TOKEN_RE.match(tok)
        if not m:
            continue
        core = m.group(2)
        low = core.lower()
        if "substitute" in ops and low in SYNONYMS and " " not in SYNONYMS[low]:
            options.append(("substitute", i))
        if "delete" in ops and low in DELETABLE and not m.group(1) and not m.group(3) and i > 0:
            options.append(("delete", i))
        if "insert" in ops and tok == "I" and i + 1 < len(toks):
            options.append(("insert", i))
    return toks, options


def word_edit(text, rng, ops=("substitute", "insert", "delete")):
    """One word-level edit on text; returns (new_text, edit) or None."""
    toks, options = edit_options(text, ops)
    if not options:
        return None
    op, i = rng.choice(options)
    m = TOKEN_RE.match(toks[i])
    if op == "substitute":
        new_core = _match_case(m.group(2), SYNONYMS[m.group(2).lower()])
        edit = {"op": "substitute", "old": m.group(2), "new": new_core}
        toks[i] = m.group(1) + new_core + m.group(3)
    elif op == "delete":
        edit = {"op": "delete", "old": toks[i]}
        del toks[i]
    else:
        adv = rng.choice(INSERT_ADVERBS)
        edit = {"op": "insert", "new": adv, "after": toks[i]}
        toks.insert(i + 1, adv)
    return " ".join(toks), edit


def normalised_variant(text, rng):
    """Same text up to case, whitespace and trailing punctuation (norm_prompt is unchanged)."""
    changes = []
    out = text
    options = ["lower", "space", "trail_punct", "trail_space"]
    for ch in rng.sample(options, 2):
        if ch == "lower" and out.lower() != out:
            out = out.lower()
            changes.append("lowercased")
        elif ch == "space" and " " in out:
            spaces = [i for i, c in enumerate(out) if c == " "]
            i = rng.choice(spaces)
            out = out[:i] + "  " + out[i + 1:]
            changes.append("double space")
        elif ch == "trail_punct" and out.rstrip() and out.rstrip()[-1] in ".?!":
            out = out.rstrip()[:-1]
            changes.append("trailing punctuation removed")
        elif ch == "trail_space":
            out = out + "  "
            changes.append("trailing whitespace")
    if out == text:
        out = text.upper()
        changes.append("uppercased")
    assert norm_prompt(out) == norm_prompt(text) and out != text
    return out, changes


def smart_quotes(s):
    return s.replace("'", "\u2019")


def to_mojibake(s):
    out = s.encode("utf-8").decode("cp1252")
    assert "\ufffd" not in out and not any(0x80 <= ord(c) < 0xA0 for c in out)
    return out


def truncate_text(text, rng):
    toks = text.split(" ")
    lo, hi = int(len(toks) * 0.45), int(len(toks) * 0.9)
    good = {"and", "the", "to", "your", "you", "a", "of", "for", "then", "with", "should", "can",
            "will", "in", "so", "that", "an", "on", "it"}
    cands = [i for i in range(max(lo, 3), hi) if re.search(r"[A-Za-z]$", toks[i - 1])
             and "\n" not in toks[i - 1] and not toks[i - 1][0].isupper()]
    pref = [i for i in cands if toks[i - 1] in good]
    i = rng.choice(pref or cands)
    return " ".join(toks[:i])


def long_answer(base_text, rng, target):
    """A 2,500 to 4,000 word answer: the original reply plus an overview of many topics."""
    topics = REGULAR_TOPICS[:]
    rng.shuffle(topics)
    parts = [base_text.rsplit(" ", 0)[0],
             "Since you asked, here is a fuller overview of how the main parts of your account work, so you have everything in one place."]
    total = sum(word_count(p) for p in parts)
    for t in topics:
        sents = [fill(x, rng) for x in t["steps"]] + [fill(x, rng) for fu in t["followups"] for x in fu[1]]
        rng.shuffle(sents)
        section = t["label"][0].upper() + t["label"][1:] + ":\n" + " ".join(sents)
        wc = word_count(section)
        if total >= target or total + wc > 3950:
            continue
        parts.append(section)
        total += wc
    parts.append("I hope this overview is useful, and let us know if you'd like more detail on any of it.")
    return "\n\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Record checks (used to prove the invariants of clean and planted records)
# ---------------------------------------------------------------------------------------------

PII_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    re.compile(r"\(\d{3}\) \d{3}-\d{4}|\+1 \d{3} \d{3} \d{4}"),
    re.compile(r"\b\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4}\b"),
    re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,}"),
    re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"),
    re.compile(r"sk-live-|AKIA[A-Z0-9]{16}|ghp_[A-Za-z0-9]{36}"),
    re.compile(r"\b\d+ [A-Z][a-z]+ (?:Avenue|Street|Road|Drive|Lane|Boulevard|Court)\b"),
    re.compile(r"\b(?:%s)\b" % "|".join(FIRST_NAMES)),
]
RE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
RE_TEMPLATE = re.compile(r"<\|im_start\|>|<\|im_end\|>|\[INST\]|\[/INST\]|</s>|<\|eot_id\|>|<s>")
RE_REFUSAL = re.compile(r"as an ai|i'm sorry, but i cannot|can't assist|unable to help|i apologize, but", re.I)
RE_UNANSWERABLE = re.compile(
    r"attached|screenshot|image below|https?://|following article|look up today|uploaded|photo of|voice message|table above",
    re.I)
RE_MERGED = re.compile(r"\n\d+\. Instruction:")
RE_ARITH = re.compile(r"=|\d\s+x\s+\$?\d|\$\d[\d,.]*\s*[-+/]\s*\$?\d")
RE_URL = re.compile(r"https?://|www\.")


def repeated_run(text):
    sents = re.split(r"(?<=[.!?])\s+", text)
    best, run = 1, 1
    for a, b in zip(sents, sents[1:]):
        run = run + 1 if a == b and a else 1
        best = max(best, run)
    return best


def check_record(messages):
    """Set of defect categories a record shows (empty set for a clean record)."""
    found = set()
    roles = [m["role"] for m in messages]
    body = roles[1:] if roles and roles[0] == "system" else roles
    if (not body or body[0] != "user" or body[-1] != "assistant" or "system" in body
            or any(a == b for a, b in zip(body, body[1:]))):
        found.add("structure")
    assistant = [m["content"] for m in messages if m["role"] == "assistant"]
    final = assistant[-1] if assistant else ""
    if assistant and not final.strip():
        found.add("empty")
    elif final.strip() in PLACEHOLDERS:
        found.add("placeholder")
    elif final and not re.search(r"[.!?]$", final.rstrip()):
        found.add("truncated")
    for a in assistant:
        if a.strip() and not (40 <= word_count(a) <= 200):
            found.add("length")
    for a in assistant:
        if RE_REFUSAL.search(a):
            found.add("refusal")
        if RE_MERGED.search(a):
            found.add("merged")
        if repeated_run(a) >= 3:
            found.add("repeated")
    for m in messages:
        c = m["content"]
        if m["role"] == "user" and RE_UNANSWERABLE.search(c):
            found.add("unanswerable")
        if RE_CONTROL.search(c):
            found.add("control")
        if "\u00e2\u20ac" in c or "\u00c3" in c:
            found.add("mojibake")
        if any(ord(ch) > 127 for ch in c):
            found.add("non_ascii")
        if RE_TEMPLATE.search(c):
            found.add("template")
        if RE_ARITH.search(c):
            found.add("arith")
        if any(p.search(c) for p in PII_PATTERNS):
            found.add("pii")
        if RE_URL.search(c) and m["role"] != "user":
            found.add("url")
        low = c.lower()
        if any(k in low for k in UNCOVERED_KEYWORDS):
            found.add("uncovered_topic")
    return found


ALLOWED = {
    "clean": set(),
    "correct_arithmetic": {"arith"},
    "pii": {"pii"},
    "empty_answer": {"empty"},
    "placeholder_answer": {"placeholder", "length", "truncated"},
    "refusal_answer": {"refusal", "length"},
    "unanswerable_prompt": {"unanswerable"},
    "merged_instructions": {"merged", "length"},
    "control_chars": {"control"},
    "mojibake": {"mojibake", "non_ascii"},
    "role_order": {"structure", "length"},  # the assistant-first greeting is short
    "template_tokens": {"template"},
    "wrong_arithmetic": {"arith"},
    "truncated_answer": {"truncated"},
    "very_long": {"length"},
    "repeated_text": {"repeated", "length"},
}
REQUIRED = {
    "pii": "pii", "empty_answer": "empty", "placeholder_answer": "placeholder",
    "refusal_answer": "refusal", "unanswerable_prompt": "unanswerable",
    "merged_instructions": "merged", "control_chars": "control", "mojibake": "mojibake",
    "role_order": "structure", "template_tokens": "template", "wrong_arithmetic": "arith",
    "correct_arithmetic": "arith", "truncated_answer": "truncated", "very_long": "length",
    "repeated_text": "repeated",
}

# ---------------------------------------------------------------------------------------------
# SFT train set
# ---------------------------------------------------------------------------------------------

PLAN = [  # (kind, count) for the mutations applied to freshly generated records
    ("very_long", 4), ("wrong_arithmetic", 6), ("correct_arithmetic", 6), ("empty_answer", 6),
    ("placeholder_answer", 8), ("refusal_answer", 8), ("role_order", 5), ("repeated_text", 3),
    ("merged_instructions", 6), ("truncated_answer", 5), ("template_tokens", 5),
    ("control_chars", 8), ("mojibake", 8), ("unanswerable_prompt", 12), ("pii", 60),
]
N_VERBATIM_DUPS, N_NORMALISED_DUPS, N_NEAR_DUPS = 20, 10, 40
N_EVAL_LEAKS = 12


def final_answer(rec):
    return rec["turns"][-1]["answer"]


def field_of(msgs, role, needle):
    hits = [i for i, m in enumerate(msgs) if m["role"] == role and needle in m["content"]]
    assert len(hits) >= 1, (role, needle)
    return "messages.%d.content" % hits[0]


def build_conflict_pair(t, spec, rng, gen, uid, variant):
    _, question, fact_a, fact_b, elab_b = spec
    for _ in range(200):
        greeting = rng.choice(GREETINGS) if rng.random() < 0.4 else None
        signoff = rng.choice(SIGNOFFS) if rng.random() < 0.3 else None
        prompt = join_greeting(greeting, question) if greeting else question
        if signoff:
            prompt += " " + signoff
        if norm_prompt(prompt) not in gen.prompts:
            break
    fact_words = set(words(fact_a)) - {"the", "a", "an", "and", "to", "of", "in", "on", "your", "you", "is", "are", "at", "or", "for", "with", "up"}
    others = [fill(x, rng) for x in t["steps"] if len(set(words(x)) & fact_words) <= 2]
    ans_a = {"opener": rng.choice(OPENERS), "intro": None, "pre": [],
             "steps": [fact_a] + rng.sample(others, 2), "step_ids": [], "extra": [], "tip": None,
             "closer": rng.choice(CLOSERS), "fmt": "para", "suffix": "", "override": None}
    ans_b = {"opener": rng.choice(OPENERS), "intro": None, "pre": [], "steps": [fact_b] + elab_b,
             "step_ids": [], "extra": [], "tip": rng.choice(TIPS), "closer": rng.choice(CLOSERS),
             "fmt": "para", "suffix": "", "override": None}
    sys_a = rng.choice(SYSTEM_PROMPTS) if rng.random() < 0.3 else None
    sys_b = rng.choice(SYSTEM_PROMPTS) if rng.random() < 0.3 else None
    prompt_b, changes = prompt, []
    if variant:
        prompt_b, changes = normalised_variant(prompt, rng)
    a = {"uid": uid, "topic": t["name"], "system": sys_a, "turns": [{"user": prompt, "uparts": None, "answer": ans_a}],
         "kind": "conflict", "meta": {"role": "a", "fact": fact_a}}
    b = {"uid": uid + 1, "topic": t["name"], "system": sys_b, "turns": [{"user": prompt_b, "uparts": None, "answer": ans_b}],
         "kind": "conflict", "meta": {"role": "b", "fact": fact_b, "partner": uid,
                                      "prompt_changes": changes}}
    for r in (a, b):
        msgs = render(r)
        assert 40 <= word_count(msgs[-1]["content"]) <= 200, msgs[-1]["content"]
        gen.register(r["uid"], msgs)
    return a, b


def build_sft(rng, gen):
    recs = []
    uid = 0
    # 1. conflicting-answer pairs (registered first so no clean record reuses their prompts)
    for n, spec in enumerate(CONFLICTS):
        a, b = build_conflict_pair(TOPIC_BY_NAME[spec[0]], spec, rng, gen, uid, n % 2 == 1)
        recs += [a, b]
        uid += 2
    # 2. fresh, diverse records for every topic
    for t in TOPICS:
        for _ in range(t["size"]):
            rec = gen.make(t, uid)
            rec.update({"uid": uid, "kind": "clean", "meta": {}})
            recs.append(rec)
            uid += 1
    by_uid = {r["uid"]: r for r in recs}
    fresh = [r for r in recs if r["kind"] == "clean" and r["topic"] not in RARE_TOPICS]
    taken = set()

    def pick(n, pred=lambda r: True, distinct_topics=False, seen_topics=None):
        cands = [r for r in fresh if r["uid"] not in taken and pred(r)]
        rng.shuffle(cands)
        out, topics = [], set() if seen_topics is None else seen_topics
        for r in cands:
            if distinct_topics and r["topic"] in topics:
                continue
            out.append(r)
            topics.add(r["topic"])
            taken.add(r["uid"])
            if len(out) == n:
                return out
        raise RuntimeError("not enough candidates")

    single = lambda r: len(r["turns"]) == 1
    chosen = {}
    chosen["very_long"] = pick(4, single)
    chosen["wrong_arithmetic"] = pick(6, lambda r: r["topic"] in ARITH_TOPICS and single(r))
    chosen["correct_arithmetic"] = pick(6, lambda r: r["topic"] in ARITH_TOPICS and single(r))
    short_topics = set()
    long_prompt = lambda r: word_count(r["turns"][0]["user"]) >= 12 and single(r)
    chosen["empty_answer"] = pick(6, long_prompt, True, short_topics)
    chosen["placeholder_answer"] = pick(8, long_prompt, True, short_topics)
    chosen["refusal_answer"] = pick(8, long_prompt, True, short_topics)
    chosen["role_order"] = (pick(2, single) + pick(2, lambda r: single(r) and r["turns"][0]["uparts"]["split_at"])
                            + pick(1, single))
    chosen["repeated_text"] = pick(3, lambda r: single(r) and final_answer(r)["fmt"] == "para" and len(final_answer(r)["steps"]) >= 2)
    chosen["merged_instructions"] = pick(6, single)
    chosen["truncated_answer"] = pick(5, lambda r: word_count(render_answer(final_answer(r))) >= 95)
    chosen["template_tokens"] = pick(5, single)
    chosen["control_chars"] = pick(8)
    chosen["mojibake"] = pick(8, lambda r: r["turns"][0]["answer"]["opener"] is not None)
    fx = pick(1, lambda r: r["topic"] == "currency_exchange" and single(r))
    chosen["unanswerable_prompt"] = pick(5, single) + fx + pick(6, single)
    chosen["pii"] = pick(60)
    near_sources = pick(N_NEAR_DUPS, lambda r: word_count(convo_text(render(r))) >= 90
                        and edit_options(r["turns"][0]["user"])[1])
    dup_sources = pick(N_VERBATIM_DUPS + N_NORMALISED_DUPS)
    leak_sources = pick(N_EVAL_LEAKS, lambda r: single(r) and edit_options(r["turns"][0]["user"])[1])
    for kind, recs_k in chosen.items():
        for r in recs_k:
            r["kind"] = kind

    # 3. structural mutations (before rendering)
    for r, target in zip(chosen["very_long"], [2700, 3000, 3300, 3600]):
        a = final_answer(r)
        a["override"] = long_answer(render_answer(a), rng, target)
        r["meta"] = {"words": word_count(a["override"])}
    for kind, wrong in (("wrong_arithmetic", True), ("correct_arithmetic", False)):
        for r in chosen[kind]:
            a = final_answer(r)
            for _ in range(50):
                sent, expr, stated, correct = arithmetic_sentence(r["topic"], rng, wrong)
                a["extra"].append(sent)
                if word_count(render_answer(a)) <= 200:
                    break
                a["extra"].pop()
                a["steps"].pop()
            r["meta"] = {"expression": expr, "stated_result": stated, "correct_result": correct}
    for r, value in zip(chosen["empty_answer"], EMPTIES):
        final_answer(r)["override"] = value
        r["meta"] = {"content": value}
    for r, value in zip(chosen["placeholder_answer"], PLACEHOLDERS):
        final_answer(r)["override"] = value
        r["meta"] = {"content": value}
    for r, value in zip(chosen["refusal_answer"], REFUSALS):
        final_answer(r)["override"] = value
        r["meta"] = {"content": value}
    for r in chosen["repeated_text"]:
        a = final_answer(r)
        j = rng.randrange(len(a["steps"]))
        n = rng.randint(8, 12)
        sentence = a["steps"][j]
        a["steps"][j] = " ".join([sentence] * n)
        r["meta"] = {"sentence": sentence, "repeats": n}
    for r in chosen["merged_instructions"]:
        a = final_answer(r)
        others = [TOPIC_BY_NAME[x] for x in MERGED_TOPIC_POOL if x != r["topic"]]
        blocks = []
        for num, t2 in enumerate(rng.sample(others, rng.choice([2, 3])), start=2):
            qi = rng.randrange(len(t2["questions"]))
            outs = [fill(t2["steps"][i], rng) for i in t2["core"][qi]]
            blocks.append("%d. Instruction: %s\nOutput: %s" % (num, fill(t2["questions"][qi], rng), " ".join(outs)))
        a["suffix"] = "\n\n" + "\n\n".join(blocks)
        r["meta"] = {"extra_blocks": len(blocks)}
    for i, r in enumerate(chosen["role_order"]):
        if i < 2:
            r["turns"].insert(0, {"user": None, "uparts": None, "answer": {
                "opener": None, "intro": None, "pre": [], "steps": [], "step_ids": [], "extra": [],
                "tip": None, "closer": None, "fmt": "para", "suffix": "",
                "override": rng.choice(ASSISTANT_GREETINGS)}})
            r["meta"] = {"issue": "assistant_first"}
        elif i < 4:
            turn = r["turns"][0]
            parts, k = turn["uparts"]["parts"], turn["uparts"]["split_at"]
            r["turns"][0:1] = [{"user": " ".join(parts[:k]), "uparts": None, "answer": None},
                               {"user": " ".join(parts[k:]), "uparts": None, "answer": turn["answer"]}]
            r["meta"] = {"issue": "consecutive_user_turns"}
        else:
            t = TOPIC_BY_NAME[r["topic"]]
            fu = rng.choice(t["followups"])
            q = gen.unique_user_text(lambda: (rng.choice(FOLLOWUP_PREFIXES) + " " + fill(rng.choice(fu[0]), rng)).strip())
            r["turns"].append({"user": q, "uparts": None, "answer": None})
            r["meta"] = {"issue": "ends_with_user_turn"}
    pii_types = []
    while len(pii_types) < 100:
        block = PII_TYPES[:]
        rng.shuffle(block)
        pii_types += block
    for n, r in enumerate(chosen["pii"]):
        side = "user" if n % 3 != 2 else "assistant"
        n_values = 2 if rng.random() < 0.4 else 1
        kinds = []
        while len(kinds) < n_values:
            k = pii_types.pop(0)
            if k not in kinds:
                kinds.append(k)
        values = [(k, pii_value(k, rng)) for k in kinds]
        if side == "user":
            sent = " ".join(rng.choice(PII_USER_TEMPLATES[k]).format(v=v) for k, v in values)
            turn = r["turns"][rng.randrange(len(r["turns"]))]
            turn["user"] = sent + " " + turn["user"] if rng.random() < 0.5 else turn["user"] + " " + sent
        else:
            a = r["turns"][rng.randrange(len(r["turns"]))]["answer"]
            a["pre"] += [rng.choice(PII_ASSISTANT_TEMPLATES[k]).format(v=v) for k, v in values]
        r["meta"] = {"side": side, "values": values}

    # 4. render, then text-level mutations
    for r in recs:
        r["messages"] = render(r)
    for r, tok in zip(chosen["template_tokens"], TEMPLATE_TOKENS):
        msgs = r["messages"]
        ui = next(i for i, m in enumerate(msgs) if m["role"] == "user")
        ai = len(msgs) - 1
        if tok == "<|im_start|>assistant":
            msgs[ai]["content"] = "<|im_start|>assistant\n" + msgs[ai]["content"]
            idx = ai
        elif tok == "[INST]":
            msgs[ui]["content"] = "[INST] " + msgs[ui]["content"] + " [/INST]"
            idx = ui
        elif tok == "<|im_end|>":
            msgs[ui]["content"] = msgs[ui]["content"] + "<|im_end|>"
            idx = ui
        else:
            c = msgs[ai]["content"]
            cut = [m.end() for m in re.finditer(r"[.!?] ", c)]
            pos = cut[len(cut) // 2] - 1
            msgs[ai]["content"] = c[:pos] + tok + c[pos:]
            idx = ai
        r["meta"] = {"token": tok, "field": "messages.%d.content" % idx}
    for n, (r, ch) in enumerate(zip(chosen["control_chars"], CONTROL_CHARS)):
        msgs = r["messages"]
        role = "assistant" if n % 3 != 2 else "user"
        idx = rng.choice([i for i, m in enumerate(msgs) if m["role"] == role])
        c = msgs[idx]["content"]
        spaces = [i for i, x in enumerate(c) if x == " "]
        pos = spaces[rng.randrange(len(spaces) // 4, 3 * len(spaces) // 4)]
        msgs[idx]["content"] = c[:pos] + ch + c[pos:]
        r["meta"] = {"char": "U+%04X" % ord(ch), "field": "messages.%d.content" % idx}
    for n, r in enumerate(chosen["mojibake"]):
        msgs = r["messages"]
        if n < 6:
            idx = next(i for i, m in enumerate(msgs) if m["role"] == "assistant")
            a = r["turns"][0]["answer"]
            text = msgs[idx]["content"]
            assert text.startswith(a["opener"])
            text = MOJIBAKE_ASSISTANT[n] + text[len(a["opener"]):]
        else:
            idx = next(i for i, m in enumerate(msgs) if m["role"] == "user")
            text = msgs[idx]["content"] + " " + MOJIBAKE_USER[n - 6]
        msgs[idx]["content"] = to_mojibake(smart_quotes(text))
        markers = [m for m in ["\u00e2\u20ac\u2122", "\u00e2\u20ac\u201c", "\u00c3\u00a9", "\u00c3\u00a8"] if m in msgs[idx]["content"]]
        assert markers
        r["meta"] = {"field": "messages.%d.content" % idx, "markers": markers}
    for r in chosen["truncated_answer"]:
        msgs = r["messages"]
        msgs[-1]["content"] = truncate_text(msgs[-1]["content"], rng)
        r["meta"] = {"ends_with": msgs[-1]["content"][-40:]}
    for r, cue in zip(chosen["unanswerable_prompt"], UNANSWERABLE_CUES):
        t = TOPIC_BY_NAME[r["topic"]]
        msgs = r["messages"]
        idx = next(i for i, m in enumerate(msgs) if m["role"] == "user")
        name, how, tpl = cue
        text = tpl.format(slug=t["name"].replace("_", "-"), label=t["label"],
                          currency=rng.choice(CURRENCIES), big_amount=_big_amount(rng))
        old = msgs[idx]["content"]
        msgs[idx]["content"] = {"append": old + " " + text, "prepend": text + " " + old, "replace": text}[how]
        r["meta"] = {"cue": name, "field": "messages.%d.content" % idx}
    for r in chosen["pii"]:
        side = r["meta"]["side"]
        r["meta"] = {"values": [{"entity_type": k, "value": v, "field": field_of(r["messages"], side, v)}
                                for k, v in r["meta"]["values"]]}
    for r in chosen["empty_answer"] + chosen["placeholder_answer"] + chosen["refusal_answer"] + chosen["truncated_answer"] + chosen["very_long"] + chosen["repeated_text"] + chosen["merged_instructions"] + chosen["wrong_arithmetic"] + chosen["correct_arithmetic"]:
        r["meta"]["field"] = "messages.%d.content" % (len(r["messages"]) - 1)

    # 5. exact and near duplicates of clean records
    for n, src in enumerate(dup_sources):
        msgs = copy.deepcopy(src["messages"])
        meta = {"duplicate_of": src["uid"], "kind": "verbatim"}
        if n >= N_VERBATIM_DUPS:
            meta["kind"] = "normalised"
            ui = next(i for i, m in enumerate(msgs) if m["role"] == "user")
            msgs[ui]["content"], meta["changes"] = normalised_variant(msgs[ui]["content"], rng)
        recs.append({"uid": uid, "topic": src["topic"], "kind": "exact_duplicates", "meta": meta,
                     "messages": msgs})
        uid += 1
    for src in near_sources:
        for _ in range(100):
            msgs = copy.deepcopy(src["messages"])
            edits = []
            ui = next(i for i, m in enumerate(msgs) if m["role"] == "user")
            res = word_edit(msgs[ui]["content"], rng)
            if res is None:
                continue
            msgs[ui]["content"], e = res
            edits.append(dict(e, field="messages.%d.content" % ui))
            for _k in range(rng.choice([0, 1, 1, 2])):
                ai = rng.choice([i for i, m in enumerate(msgs) if m["role"] == "assistant"])
                res = word_edit(msgs[ai]["content"], rng)
                if res:
                    msgs[ai]["content"], e = res
                    edits.append(dict(e, field="messages.%d.content" % ai))
            j = jaccard(shingles(convo_text(msgs)), shingles(convo_text(src["messages"])))
            changed = all(msgs[int(e["field"].split(".")[1])]["content"] != src["messages"][int(e["field"].split(".")[1])]["content"] for e in edits)
            if (j >= NEAR_DUP_MIN_JACCARD and changed
                    and norm_prompt(first_user(msgs)) != norm_prompt(first_user(src["messages"]))):
                break
        else:
            raise RuntimeError("could not make a near duplicate")
        recs.append({"uid": uid, "topic": src["topic"], "kind": "near_duplicates",
                     "meta": {"duplicate_of": src["uid"], "edits": edits, "jaccard": round(j, 4)},
                     "messages": msgs})
        uid += 1

    # 6. final order and ids
    rng.shuffle(recs)
    ids = {}
    for i, r in enumerate(recs, start=1):
        r["id"] = "sft-%05d" % i
        ids[r["uid"]] = r["id"]
    return recs, ids, leak_sources


def sft_key(recs, ids):
    by_kind = {}
    for r in recs:
        by_kind.setdefault(r["kind"], []).append(r)
    problems = {}

    def entries(kind, fn):
        lst = sorted((fn(r) for r in by_kind.get(kind, [])), key=lambda e: e["id"])
        return {"count": len(lst), "entries": lst}

    problems["exact_duplicates"] = entries("exact_duplicates", lambda r: dict(
        {"id": r["id"], "duplicate_of": ids[r["meta"]["duplicate_of"]], "kind": r["meta"]["kind"]},
        **({"changes": r["meta"]["changes"]} if "changes" in r["meta"] else {})))
    problems["near_duplicates"] = entries("near_duplicates", lambda r: {
        "id": r["id"], "duplicate_of": ids[r["meta"]["duplicate_of"]], "edits": r["meta"]["edits"],
        "jaccard": r["meta"]["jaccard"]})
    by_uid = {x["uid"]: x for x in recs if "uid" in x}
    conf = sorted(({"id": r["id"], "conflicts_with": ids[r["meta"]["partner"]],
                    "prompt": first_user(by_uid[r["meta"]["partner"]]["messages"]),
                    "prompt_of_id": first_user(r["messages"]),
                    "answer_fact": r["meta"]["fact"],
                    "conflicting_answer_fact": next(x for x in recs if x["uid"] == r["meta"]["partner"])["meta"]["fact"],
                    "prompt_changes": r["meta"]["prompt_changes"]}
                   for r in by_kind["conflict"] if r["meta"]["role"] == "b"), key=lambda e: e["id"])
    problems["conflicting_answers"] = {
        "count": len(conf), "unit": "pairs",
        "record_ids": sorted(r["id"] for r in by_kind["conflict"]), "entries": conf}
    problems["pii"] = entries("pii", lambda r: {"id": r["id"], "values": r["meta"]["values"]})
    simple = {
        "empty_answer": ("content", "field"), "placeholder_answer": ("content", "field"),
        "refusal_answer": ("content", "field"), "unanswerable_prompt": ("cue", "field"),
        "merged_instructions": ("extra_blocks", "field"), "control_chars": ("char", "field"),
        "mojibake": ("markers", "field"), "role_order": ("issue",),
        "template_tokens": ("token", "field"),
        "wrong_arithmetic": ("expression", "stated_result", "correct_result", "field"),
        "truncated_answer": ("ends_with", "field"), "very_long": ("words", "field"),
        "repeated_text": ("sentence", "repeats", "field"),
    }
    for kind, fields in simple.items():
        problems[kind] = entries(kind, lambda r, f=fields: dict({"id": r["id"]}, **{k: r["meta"][k] for k in f}))
    controls = {"correct_arithmetic": entries("correct_arithmetic", lambda r: {
        "id": r["id"], "expression": r["meta"]["expression"], "result": r["meta"]["stated_result"],
        "field": r["meta"]["field"]})}
    controls["correct_arithmetic"]["note"] = "clean records with a correct calculation (false-positive controls); not a problem"
    topics = {r["id"]: r["topic"] for r in sorted(recs, key=lambda r: r["id"])}
    counts = {}
    for r in recs:
        counts[r["topic"]] = counts.get(r["topic"], 0) + 1
    clean_ids = sorted(r["id"] for r in recs if r["kind"] in ("clean", "correct_arithmetic"))
    return {
        "total_records": len(recs),
        "clean_ids": clean_ids,
        "problems": problems,
        "controls": controls,
        "planted_record_count": len(recs) - len(clean_ids),
        "rare_topics": RARE_TOPICS,
        "topic_counts": dict(sorted(counts.items())),
        "multi_turn_ids": sorted(r["id"] for r in recs if sum(m["role"] == "assistant" for m in r["messages"]) >= 2),
        "system_prompt_ids": sorted(r["id"] for r in recs if r["messages"] and r["messages"][0]["role"] == "system"),
        "topics": topics,
    }

# ---------------------------------------------------------------------------------------------
# Eval set
# ---------------------------------------------------------------------------------------------

N_EVAL = 200


def build_eval(rng, gen, leak_sources, ids, sft):
    weights = [t["size"] for t in REGULAR_TOPICS]
    out = []
    # Whole-conversation diversity is not enough: the same question with another greeting is
    # leakage too (what a per-turn leakage check finds), so clean eval turns stay far from train's.
    turns = train_turn_index(sft)

    def far_from_train(msgs):
        return all(turns.best(turn_shingles(m["content"]))[0] < CLEAN_MAX_JACCARD
                   for m in msgs if m["role"] == "user")

    for i in range(N_EVAL - N_EVAL_LEAKS):
        t = rng.choices(REGULAR_TOPICS, weights)[0]
        rec = gen.make(t, ("eval", i), tries=2000, extra_ok=far_from_train)
        out.append({"topic": t["name"], "messages": render(rec), "kind": "clean", "meta": {}})
    variants = (["verbatim_record"] * 3 + ["same_prompt_new_answer"] * 3
                + ["normalised_prompt"] * 3 + ["edited_prompt"] * 3)
    for src, variant in zip(leak_sources, variants):
        t = TOPIC_BY_NAME[src["topic"]]
        msgs = copy.deepcopy(src["messages"])
        ui = next(i for i, m in enumerate(msgs) if m["role"] == "user")
        meta = {"leaked_from": ids[src["uid"]], "variant": variant,
                "kind": "exact" if variant in ("verbatim_record", "same_prompt_new_answer") else "near"}
        if variant == "same_prompt_new_answer":
            old = msgs[-1]["content"]
            for _ in range(100):
                new = render_answer(make_answer(t, rng, src["turns"][0]["uparts"]["qi"]))
                if new != old and 40 <= word_count(new) <= 200:
                    break
            msgs[-1]["content"] = new
        elif variant == "normalised_prompt":
            msgs[ui]["content"], meta["prompt_changes"] = normalised_variant(msgs[ui]["content"], rng)
        elif variant == "edited_prompt":
            for _ in range(50):
                text, edits = msgs[ui]["content"], []
                for _k in range(rng.choice([1, 2])):
                    res = word_edit(text, rng)
                    if res:
                        text, e = res
                        edits.append(e)
                if edits and norm_prompt(text) != norm_prompt(msgs[ui]["content"]):
                    break
            assert edits and norm_prompt(text) != norm_prompt(msgs[ui]["content"])
            msgs[ui]["content"] = text
            meta["prompt_edits"] = edits
        out.append({"topic": src["topic"], "messages": msgs, "kind": "leak", "meta": meta})
    rng.shuffle(out)
    for i, r in enumerate(out, start=1):
        r["id"] = "eval-%04d" % i
    return out


def eval_key(recs):
    leaks = sorted(({"id": r["id"], "leaked_from": r["meta"]["leaked_from"], "kind": r["meta"]["kind"],
                     "variant": r["meta"]["variant"],
                     **({"prompt_changes": r["meta"]["prompt_changes"]} if "prompt_changes" in r["meta"] else {}),
                     **({"prompt_edits": r["meta"]["prompt_edits"]} if "prompt_edits" in r["meta"] else {})}
                    for r in recs if r["kind"] == "leak"), key=lambda e: e["id"])
    return {
        "total_records": len(recs),
        "problems": {"leaked_from_train": {"count": len(leaks), "entries": leaks}},
        "clean_ids": sorted(r["id"] for r in recs if r["kind"] == "clean"),
        "topics": {r["id"]: r["topic"] for r in sorted(recs, key=lambda r: r["id"])},
    }


# ---------------------------------------------------------------------------------------------
# Production reference queries
# ---------------------------------------------------------------------------------------------

N_PROD = 400
PROD_RARE_COUNTS = {"power_of_attorney": 6, "deceased_account_holder": 5, "sanctions_frozen_funds": 7}
PROD_ACT_FRAMES = [
    "how do i {a}", "how can i {a}?", "is it possible to {a}", "can i {a} in the app", "i want to {a}",
    "need to {a}", "help me {a}", "whats the best way to {a}", "trying to {a}, how?",
    "where do i go to {a}", "is there an option to {a}", "any way to {a} from my phone",
    "steps to {a}", "can you help me {a} please", "I'd like to {a}.", "How do I {a}?",
    "does pennywise let me {a}", "quick one - how do i {a}",
]
PROD_STATE_FRAMES = [
    "{s}", "{s}, what now", "{s} - help", "{s}. what should i do?", "hi, {s}", "{s}, can you help",
    "{s}!!", "so {s}", "hey {s}", "{s} please help", "{s}, is this normal?", "{s}?? ",
]
PROD_TYPOS = {"the": "teh", "account": "acount", "receive": "recieve", "transfer": "tranfer",
              "please": "pls", "you": "u", "money": "mony", "card": "crad", "my": "ym"}


def prod_query(spec, rng):
    if rng.random() < 0.6:
        text = rng.choice(PROD_ACT_FRAMES).format(a=rng.choice(spec["acts"]))
    else:
        text = rng.choice(PROD_STATE_FRAMES).format(s=rng.choice(spec["states"])).strip()
    if rng.random() < 0.12:
        toks = text.split(" ")
        cands = [i for i, w in enumerate(toks) if w in PROD_TYPOS]
        if cands:
            i = rng.choice(cands)
            toks[i] = PROD_TYPOS[toks[i]]
            text = " ".join(toks)
    if rng.random() < 0.35:
        text = text[0].upper() + text[1:]
    return text


def build_production(rng, sft_user_norms):
    counts = {}
    n_regular = N_PROD - sum(PROD_RARE_COUNTS.values()) - sum(u["count"] for u in UNCOVERED_TOPICS.values())
    total_size = sum(t["size"] for t in REGULAR_TOPICS)
    raw = [(t["name"], n_regular * t["size"] / total_size) for t in REGULAR_TOPICS]
    for name, x in raw:
        counts[name] = int(x)
    left = n_regular - sum(counts.values())
    for name, x in sorted(raw, key=lambda p: (-(p[1] - int(p[1])), p[0]))[:left]:
        counts[name] += 1
    counts.update(PROD_RARE_COUNTS)
    specs = {t["name"]: t for t in TOPICS}
    for name, u in UNCOVERED_TOPICS.items():
        counts[name] = u["count"]
        specs[name] = u
    seen = set()
    out = []
    for name in list(counts):
        for _ in range(counts[name]):
            for _try in range(500):
                q = prod_query(specs[name], rng)
                n = norm_prompt(q)
                if n not in seen and n not in sft_user_norms and 3 <= word_count(q) <= 25:
                    break
            else:
                raise RuntimeError("no unique production query for " + name)
            seen.add(n)
            out.append({"topic": name, "text": q})
    rng.shuffle(out)
    for i, r in enumerate(out, start=1):
        r["id"] = "ref-%04d" % i
    return out


def production_key(recs):
    uncovered = {name: sorted(r["id"] for r in recs if r["topic"] == name) for name in UNCOVERED_TOPICS}
    counts = {}
    for r in recs:
        counts[r["topic"]] = counts.get(r["topic"], 0) + 1
    return {
        "total_records": len(recs),
        "problems": {"uncovered_topics": {
            "count": len(uncovered),
            "entries": [{"topic": name, "label": UNCOVERED_TOPICS[name]["label"], "count": len(v), "ids": v}
                        for name, v in uncovered.items()]}},
        "rare_in_train_topic_counts": {k: counts[k] for k in RARE_TOPICS},
        "topic_counts": dict(sorted(counts.items())),
        "topics": {r["id"]: r["topic"] for r in sorted(recs, key=lambda r: r["id"])},
    }


# ---------------------------------------------------------------------------------------------
# Intent classification CSVs
# ---------------------------------------------------------------------------------------------

INTENTS = [  # (label, train count, test count) before planted rows
    ("lost_or_stolen_card", 250, 68), ("password_reset", 180, 49), ("refund_request", 140, 38),
    ("failed_payment", 110, 30), ("fee_inquiry", 95, 26), ("dispute_charge", 80, 22),
    ("transfer_limit", 65, 18), ("direct_deposit", 55, 15), ("two_factor_auth", 45, 12),
    ("statement_request", 35, 10), ("exchange_rate", 25, 7), ("close_account", 12, 5),
]
INTENT_PHRASES = {
    "lost_or_stolen_card": (
        ["freeze my card", "report my card stolen", "block my lost card", "cancel my stolen debit card",
         "lock my card", "report a lost card", "stop someone using my stolen card", "replace a card i lost",
         "get a new card because mine was stolen", "disable my missing card",
         "report my wallet stolen with my card in it", "cancel my card because i lost it"],
        ["i lost my card", "my card was stolen", "someone stole my wallet and my card",
         "i cant find my debit card anywhere", "my card is missing", "i left my card at a bar last night",
         "my bag was stolen with my card inside", "i think i dropped my card on the bus"]),
    "password_reset": (
        ["reset my password", "change my login password", "recover my password",
         "get a new password reset link", "unlock my account after too many attempts",
         "reset my app passcode", "log in without my old password", "set a new password"],
        ["i forgot my password", "im locked out of my account", "the password reset email never came",
         "my reset link expired", "my password isnt working", "i cant remember my login details",
         "it says my password is wrong"]),
    "refund_request": (
        ["get a refund from a store", "track my refund", "find out where my refund is",
         "check on a merchant refund", "get my money back for a returned item", "see a pending refund",
         "chase a refund that hasnt arrived"],
        ["my refund hasnt arrived", "the shop says they refunded me but i dont see it",
         "still waiting on a refund from an online store", "the refund is not showing in my account",
         "i returned an item and got no money back", "the merchant promised a refund last week"]),
    "failed_payment": (
        ["find out why my payment failed", "retry a failed payment", "fix a failed transfer",
         "resend a bounced payment", "see why my bill payment was returned",
         "fix a payment that keeps failing"],
        ["my payment failed", "my transfer bounced back", "my bill payment didnt go through",
         "i keep getting an error when sending money", "the app says my payment failed",
         "my rent transfer was returned"]),
    "fee_inquiry": (
        ["understand a fee on my account", "find out why i was charged a fee", "see the list of fees",
         "check the monthly fee for plus", "find out the cost of express card delivery",
         "check the fee for an international transfer"],
        ["i was charged a fee i dont understand", "there is a pennywise fee on my statement",
         "why am i paying a monthly fee", "i got charged an atm fee",
         "there is a small fee after my transfer abroad"]),
    "dispute_charge": (
        ["dispute a charge", "report a transaction i didnt make", "challenge a merchant charge",
         "open a chargeback", "check the status of my dispute", "contest a double charge"],
        ["there is a charge i dont recognise", "i was charged for something that never arrived",
         "the merchant charged me twice", "i was charged after cancelling my membership",
         "a restaurant overcharged me"]),
    "transfer_limit": (
        ["increase my transfer limit", "check my daily transfer limit", "send more than my limit",
         "raise my sending limit", "find out my monthly transfer cap", "see how much i can send today"],
        ["my transfer was blocked because of a limit", "it says i reached my daily limit",
         "i need to send more money than the app allows", "the transfer limit is too low"]),
    "direct_deposit": (
        ["set up direct deposit", "find my routing number", "get my paycheck early",
         "get a direct deposit form", "split my paycheck between accounts",
         "give my employer my account details"],
        ["my paycheck didnt arrive", "my direct deposit is missing", "my salary is late this month",
         "early pay didnt work this time"]),
    "two_factor_auth": (
        ["set up two factor authentication", "switch my 2fa to an authenticator app",
         "move 2fa to my new phone", "get new backup codes", "get my verification code"],
        ["im not getting my verification code", "my 2fa code says invalid",
         "i got a login code i didnt ask for", "the sms code never arrives"]),
    "statement_request": (
        ["download my bank statement", "get a statement for last month", "export my transactions",
         "get an account confirmation letter", "find an old statement", "get proof of address"],
        ["i need statements for a mortgage", "i cant find my statement",
         "my landlord wants bank statements"]),
    "exchange_rate": (
        ["check the exchange rate for euros", "convert dollars to pounds", "see the weekend exchange rate",
         "set an exchange rate alert", "exchange money before my trip"],
        ["the exchange rate looks wrong", "i got a bad rate on my card abroad", "i need yen for my trip"]),
    "close_account": (
        ["close my account", "delete my pennywise account", "cancel my account", "shut down my account"],
        ["i want to close my account", "im leaving pennywise", "i dont need this account anymore"]),
}
INTENT_ACT_FRAMES = [
    "i need to {a}", "how do i {a}", "can you help me {a}", "i want to {a}", "please help me {a}",
    "how can i {a} in the app", "is there a way to {a}", "what do i do to {a}", "i would like to {a}",
    "tell me how to {a}", "where can i {a}", "show me how to {a}", "im trying to {a}", "can i {a} online",
    "help me {a}", "how do i {a} from my phone",
]
INTENT_STATE_FRAMES = [
    "{s}", "{s} what do i do", "{s} can you help", "help {s}", "{s} and i need help", "{s} please advise",
    "{s} what now", "{s} what should i do", "{s} is this normal", "so {s}",
]
INTENT_PREFIXES = ["", "", "", "", "hi ", "hello ", "hey ", "quick question ", "urgent ", "hi there ",
                   "good morning "]
INTENT_SUFFIXES = ["", "", "", "", " please", " thanks", " asap", " right now", " today", " thank you",
                   " any ideas"]
INTENT_CONFLICTS = [
    ("i was charged a fee for a payment that failed", "failed_payment", "fee_inquiry"),
    ("my card was stolen and there are charges i didnt make", "lost_or_stolen_card", "dispute_charge"),
    ("the store never sent my refund so i want to dispute it", "refund_request", "dispute_charge"),
    ("i cant log in because the verification code never arrives", "two_factor_auth", "password_reset"),
    ("how much does it cost to exchange money when i send it abroad", "exchange_rate", "fee_inquiry"),
    ("i want to close my account because of the monthly fee", "close_account", "fee_inquiry"),
    ("my transfer failed because it was over the limit", "transfer_limit", "failed_payment"),
    ("i need a statement that shows my direct deposits", "statement_request", "direct_deposit"),
]
N_INTENT_MISLABELED = 10
N_INTENT_TEST_LEAKS = 8


def intent_text(label, rng):
    acts, states = INTENT_PHRASES[label]
    if rng.random() < 0.62:
        core = rng.choice(INTENT_ACT_FRAMES).format(a=rng.choice(acts))
        return rng.choice(INTENT_PREFIXES) + core + rng.choice(INTENT_SUFFIXES)
    frame = rng.choice(INTENT_STATE_FRAMES)
    core = frame.format(s=rng.choice(states))
    suffix = rng.choice(["", "", " please help", " thanks", " help"]) if frame in ("{s}", "so {s}") else ""
    return rng.choice(INTENT_PREFIXES) + core + suffix


def build_intents(rng):
    seen = {norm_prompt(t) for t, _, _ in INTENT_CONFLICTS}

    def fresh(label):
        for _ in range(2000):
            t = intent_text(label, rng)
            n = norm_prompt(t)
            if n not in seen and 5 <= word_count(t) <= 20:
                seen.add(n)
                return t
        raise RuntimeError("intent generator exhausted for " + label)

    labels = [l for l, _, _ in INTENTS]
    train = [{"text": fresh(l), "label": l, "kind": "clean"} for l, n, _ in INTENTS for _ in range(n)]
    for text, l1, l2 in INTENT_CONFLICTS:
        text_b = text if rng.random() < 0.5 else normalised_variant(text, rng)[0]
        train.append({"text": text, "label": l1, "kind": "conflict", "meta": {"text": text, "labels": [l1, l2]}})
        train.append({"text": text_b, "label": l2, "kind": "conflict_partner", "meta": {"text": text}})
    for _ in range(N_INTENT_MISLABELED):
        true = rng.choice(labels[:9])
        given = rng.choice([l for l in labels if l != true])
        train.append({"text": fresh(true), "label": given, "kind": "mislabeled",
                      "meta": {"true_label": true, "given_label": given}})
    rng.shuffle(train)
    for i, r in enumerate(train):
        r["id"] = str(i)
    leak_src = rng.sample([r for r in train if r["kind"] == "clean"], N_INTENT_TEST_LEAKS)
    test_counts = {l: m for l, _, m in INTENTS}
    for r in leak_src:
        test_counts[r["label"]] -= 1
    test = [{"text": fresh(l), "label": l, "kind": "clean"} for l, _, _ in INTENTS for _ in range(test_counts[l])]
    for n, src in enumerate(leak_src):
        if n < 4:
            text, variant = src["text"], "verbatim"
        else:
            text = src["text"]
            variant = "case_whitespace"
            text = text.upper() if n % 2 == 0 else text.replace(" ", "  ", 1) + " "
            assert norm_prompt(text) == norm_prompt(src["text"]) and text != src["text"]
        test.append({"text": text, "label": src["label"], "kind": "leak",
                     "meta": {"leaked_from": src["id"], "variant": variant}})
    rng.shuffle(test)
    for i, r in enumerate(test):
        r["id"] = str(i)
    return train, test


def intents_key(train, test):
    conflicts = []
    for r in train:
        if r["kind"] == "conflict":
            partner = next(x for x in train if x["kind"] == "conflict_partner" and x["meta"]["text"] == r["meta"]["text"])
            conflicts.append({"ids": sorted([r["id"], partner["id"]], key=int), "text": r["meta"]["text"],
                              "labels": {r["id"]: r["label"], partner["id"]: partner["label"]}})
    conflicts.sort(key=lambda e: int(e["ids"][0]))
    mis = sorted(({"id": r["id"], "text": r["text"], "given_label": r["label"], "true_label": r["meta"]["true_label"]}
                  for r in train if r["kind"] == "mislabeled"), key=lambda e: int(e["id"]))
    leaks = sorted(({"id": r["id"], "leaked_from": r["meta"]["leaked_from"], "kind": r["meta"]["variant"]}
                    for r in test if r["kind"] == "leak"), key=lambda e: int(e["id"]))

    def counts(rows):
        c = {}
        for r in rows:
            c[r["label"]] = c.get(r["label"], 0) + 1
        return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))

    note = "record id = str(0-based data-row position), header row not counted"
    return (
        {"total_records": len(train), "id_scheme": note, "label_counts": counts(train),
         "problems": {
             "conflicting_labels": {"count": len(conflicts), "unit": "pairs", "entries": conflicts},
             "mislabeled": {"count": len(mis), "entries": mis}}},
        {"total_records": len(test), "id_scheme": note, "label_counts": counts(test),
         "problems": {"leaked_from_train": {"count": len(leaks), "entries": leaks}}},
    )

# ---------------------------------------------------------------------------------------------
# Verification of every invariant the answer key promises
# ---------------------------------------------------------------------------------------------


class Checker:
    def __init__(self):
        self.errors = []

    def ok(self, cond, msg):
        if not cond:
            self.errors.append(msg)


def verify_sft(c, recs, ids, key):
    by_id = {r["id"]: r for r in recs}
    expected = dict(PLAN)
    expected.update({"exact_duplicates": N_VERBATIM_DUPS + N_NORMALISED_DUPS,
                     "near_duplicates": N_NEAR_DUPS})
    for kind, n in expected.items():
        got = key["controls"][kind]["count"] if kind == "correct_arithmetic" else key["problems"][kind]["count"]
        c.ok(got == n, "sft %s count %d != %d" % (kind, got, n))
    c.ok(key["problems"]["conflicting_answers"]["count"] == len(CONFLICTS), "conflict count")
    for r in recs:
        cats = check_record(r["messages"])
        if r["kind"] in ("clean", "exact_duplicates", "near_duplicates", "conflict"):
            c.ok(not cats, "%s (%s) is not clean: %s" % (r["id"], r["kind"], sorted(cats)))
        else:
            c.ok(cats <= ALLOWED[r["kind"]], "%s (%s) has extra defects %s" % (r["id"], r["kind"], sorted(cats - ALLOWED[r["kind"]])))
            c.ok(REQUIRED[r["kind"]] in cats, "%s (%s) lacks its defect %s" % (r["id"], r["kind"], REQUIRED[r["kind"]]))
    # similarity and prompt uniqueness over everything that is not a planted duplicate/conflict
    checked = [r for r in recs if r["kind"] not in ("exact_duplicates", "near_duplicates", "conflict")]
    pairs = pairs_at_or_above([(r["id"], convo_text(r["messages"])) for r in checked], CLEAN_MAX_JACCARD)
    c.ok(not pairs, "sft near-duplicate pairs among checked records: %s" % pairs[:5])
    seen = {}
    for r in checked:
        n = norm_prompt(first_user(r["messages"]))
        c.ok(n not in seen, "sft duplicate normalised prompt %s %s" % (seen.get(n), r["id"]))
        seen[n] = r["id"]
    # duplicates
    for e in key["problems"]["exact_duplicates"]["entries"]:
        a, b = by_id[e["id"]]["messages"], by_id[e["duplicate_of"]]["messages"]
        c.ok(by_id[e["duplicate_of"]]["kind"] == "clean", "dup source not clean " + e["id"])
        if e["kind"] == "verbatim":
            c.ok(a == b, "verbatim dup differs " + e["id"])
        else:
            c.ok(a != b and [norm_prompt(m["content"]) for m in a] == [norm_prompt(m["content"]) for m in b],
                 "normalised dup wrong " + e["id"])
    for e in key["problems"]["near_duplicates"]["entries"]:
        a, b = by_id[e["id"]]["messages"], by_id[e["duplicate_of"]]["messages"]
        j = jaccard(shingles(convo_text(a)), shingles(convo_text(b)))
        c.ok(j >= NEAR_DUP_MIN_JACCARD and abs(j - e["jaccard"]) < 1e-4, "near dup jaccard %s %.3f" % (e["id"], j))
        c.ok(1 <= len(e["edits"]) <= 3, "near dup edit count " + e["id"])
        c.ok(word_count(convo_text(b)) >= 60, "near dup source too short " + e["id"])
        c.ok(by_id[e["duplicate_of"]]["kind"] == "clean", "near dup source not clean " + e["id"])
    for e in key["problems"]["conflicting_answers"]["entries"]:
        a, b = by_id[e["id"]]["messages"], by_id[e["conflicts_with"]]["messages"]
        c.ok(norm_prompt(first_user(a)) == norm_prompt(first_user(b)), "conflict prompts differ " + e["id"])
        c.ok(jaccard(shingles(a[-1]["content"]), shingles(b[-1]["content"])) < 0.3, "conflict answers too similar " + e["id"])
        c.ok(e["answer_fact"] in a[-1]["content"] and e["conflicting_answer_fact"] in b[-1]["content"], "conflict facts " + e["id"])
    for e in key["problems"]["pii"]["entries"]:
        msgs = by_id[e["id"]]["messages"]
        c.ok(1 <= len(e["values"]) <= 2, "pii value count " + e["id"])
        for v in e["values"]:
            i = int(v["field"].split(".")[1])
            c.ok(v["value"] in msgs[i]["content"], "pii value not in field %s %s" % (e["id"], v))
            if v["entity_type"] == "CREDIT_CARD":
                c.ok(luhn_ok(v["value"]), "luhn " + v["value"])
            if v["entity_type"] == "IBAN_CODE":
                c.ok(iban_check_ok(v["value"]), "iban " + v["value"])
            if v["entity_type"] == "US_SSN":
                area = int(v["value"][:3])
                c.ok(0 < area < 900 and area != 666, "ssn " + v["value"])
    sides = [int(v["field"].split(".")[1]) for e in key["problems"]["pii"]["entries"] for v in e["values"][:1]]
    roles = [by_id[e["id"]]["messages"][i]["role"] for e, i in zip(key["problems"]["pii"]["entries"], sides)]
    c.ok(roles.count("user") == 40 and roles.count("assistant") == 20, "pii user/assistant split %s" % roles.count("user"))
    for e in key["problems"]["very_long"]["entries"]:
        wc = word_count(by_id[e["id"]]["messages"][-1]["content"])
        c.ok(2500 <= wc <= 4000, "very long word count %d" % wc)
    for e in key["problems"]["repeated_text"]["entries"]:
        c.ok(repeated_run(by_id[e["id"]]["messages"][-1]["content"]) >= 8, "repeat run " + e["id"])
    for e in key["problems"]["wrong_arithmetic"]["entries"]:
        c.ok(e["stated_result"] != e["correct_result"], "wrong arithmetic is right " + e["id"])
    for e in key["controls"]["correct_arithmetic"]["entries"]:
        c.ok(e["expression"] in by_id[e["id"]]["messages"][-1]["content"], "correct arithmetic text " + e["id"])
    for name, n in key["topic_counts"].items():
        if name in RARE_TOPICS:
            c.ok(3 <= n <= 6, "rare topic size %s %d" % (name, n))
        else:
            c.ok(38 <= n <= 135, "topic size %s %d" % (name, n))
    multi = len(key["multi_turn_ids"]) / len(recs)
    sysr = len(key["system_prompt_ids"]) / len(recs)
    c.ok(0.10 <= multi <= 0.20 and 0.25 <= sysr <= 0.35, "multi-turn %.3f system %.3f" % (multi, sysr))
    # planted records are spread through the file
    pos = sorted(int(i.split("-")[1]) for i in ids.values() if by_id[i]["kind"] != "clean")
    c.ok(pos[0] < len(recs) * 0.05 and pos[-1] > len(recs) * 0.95, "planted records not spread")


def verify_eval(c, ev, sft):
    train_idx = SimIndex()
    train_prompts = set()
    for r in sft:
        train_idx.add(shingles(convo_text(r["messages"])), r["id"])
        train_prompts.add(norm_prompt(first_user(r["messages"])))
    by_train = {r["id"]: r for r in sft}
    clean = [r for r in ev if r["kind"] == "clean"]
    for r in ev:
        c.ok(not check_record(r["messages"]), "eval %s not clean: %s" % (r["id"], check_record(r["messages"])))
    turns = train_turn_index(sft)
    for r in clean:
        for m in r["messages"]:
            if m["role"] == "user":
                tj, tother = turns.best(turn_shingles(m["content"]))
                c.ok(tj < CLEAN_MAX_JACCARD, "eval %s user turn near train %s (%.3f)" % (r["id"], tother, tj))
    for r in clean:
        j, other = train_idx.best(shingles(convo_text(r["messages"])))
        c.ok(j < CLEAN_MAX_JACCARD, "eval %s near train %s (%.3f)" % (r["id"], other, j))
        c.ok(norm_prompt(first_user(r["messages"])) not in train_prompts, "eval prompt in train " + r["id"])
    pairs = pairs_at_or_above([(r["id"], convo_text(r["messages"])) for r in clean], CLEAN_MAX_JACCARD)
    c.ok(not pairs, "eval internal near dups %s" % pairs[:3])
    prompts = [norm_prompt(first_user(r["messages"])) for r in clean]
    c.ok(len(set(prompts)) == len(prompts), "eval duplicate prompts")
    for r in ev:
        if r["kind"] != "leak":
            continue
        src = by_train[r["meta"]["leaked_from"]]
        c.ok(src["kind"] == "clean", "leak source not clean")
        a, b = first_user(r["messages"]), first_user(src["messages"])
        v = r["meta"]["variant"]
        if v in ("verbatim_record", "same_prompt_new_answer"):
            c.ok(a == b, "exact leak prompt differs " + r["id"])
            c.ok((r["messages"] == src["messages"]) == (v == "verbatim_record"), "leak answer " + r["id"])
        elif v == "normalised_prompt":
            c.ok(a != b and norm_prompt(a) == norm_prompt(b), "normalised leak " + r["id"])
        else:
            c.ok(norm_prompt(a) != norm_prompt(b) and 1 <= len(r["meta"]["prompt_edits"]) <= 2, "edited leak " + r["id"])
            ratio = difflib.SequenceMatcher(None, a.split(), b.split()).ratio()
            c.ok(ratio >= 0.75, "edited leak too different %s %.2f" % (r["id"], ratio))
    c.ok(len(ev) == N_EVAL and sum(r["kind"] == "leak" for r in ev) == N_EVAL_LEAKS, "eval counts")


def verify_production(c, prod, sft_user_norms):
    norms = [norm_prompt(r["text"]) for r in prod]
    c.ok(len(set(norms)) == len(norms), "production duplicates")
    c.ok(not (set(norms) & sft_user_norms), "production copies an sft prompt")
    c.ok(len(prod) == N_PROD, "production count")
    for name, u in UNCOVERED_TOPICS.items():
        n = sum(r["topic"] == name for r in prod)
        c.ok(25 <= n <= 35, "uncovered topic size %s %d" % (name, n))


def verify_intents(c, train, test, tkey, skey):
    nonplanted = [r for r in train + test if r["kind"] == "clean"] + [r for r in train if r["kind"] == "mislabeled"]
    norms = [norm_prompt(r["text"]) for r in nonplanted]
    c.ok(len(set(norms)) == len(norms), "intent texts not unique")
    for r in train + test:
        c.ok(5 <= word_count(r["text"]) <= 20, "intent length %r" % r["text"])
        c.ok(not any(ord(ch) > 127 for ch in r["text"]), "intent non-ascii")
    counts = list(tkey["label_counts"].values())
    c.ok(len(counts) == 12 and 240 <= max(counts) <= 265 and 10 <= min(counts) <= 16, "intent imbalance %s" % counts)
    c.ok(1050 <= len(train) <= 1150 and 280 <= len(test) <= 320, "intent sizes")
    for e in tkey["problems"]["conflicting_labels"]["entries"]:
        a, b = train[int(e["ids"][0])], train[int(e["ids"][1])]
        c.ok(norm_prompt(a["text"]) == norm_prompt(b["text"]) and a["label"] != b["label"], "intent conflict")
    for e in skey["problems"]["leaked_from_train"]["entries"]:
        a, b = test[int(e["id"])], train[int(e["leaked_from"])]
        c.ok(norm_prompt(a["text"]) == norm_prompt(b["text"]) and ((a["text"] == b["text"]) == (e["kind"] == "verbatim")), "intent leak")
    c.ok(tkey["problems"]["conflicting_labels"]["count"] == 8 and tkey["problems"]["mislabeled"]["count"] == 10
         and skey["problems"]["leaked_from_train"]["count"] == 8, "intent planted counts")


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["text", "label"])
        for r in rows:
            w.writerow([r["text"], r["label"]])


def id_list(entries, limit=40):
    ids = [e["id"] if isinstance(e, dict) else e for e in entries]
    if len(ids) > limit:
        return "%d ids, see `answer_key.json`" % len(ids)
    return ", ".join("`%s`" % i for i in ids)


def write_readme(path, key, sft, ev, prod, itrain, itest):
    S, E, P = key["support_sft.jsonl"], key["support_eval.jsonl"], key["production_queries.jsonl"]
    IT, IS = key["intents_train.csv"], key["intents_test.csv"]
    sp = S["problems"]
    L = []
    add = L.append
    add("# Sample data (synthetic)")
    add("")
    add("Everything in this folder is **synthetic**: written by `python sample_data/generate.py` from")
    add("templates and slot values (no public dataset text), with the seed `random.Random(%d)`." % SEED)
    add("The script is stdlib-only and deterministic: running it twice gives byte-identical files.")
    add("It checks its own invariants and exits non-zero if one fails. **Tests pin the counts below**,")
    add("so if you change the generator, update the tests and this README (which the script rewrites).")
    add("")
    add("The data describes *Pennywise*, a fictional banking and payments app. Phone numbers use the")
    add("fictional 555-01xx range, emails use `example.*` domains, card numbers/IBANs/SSNs/API keys")
    add("are random but valid-looking (Luhn and IBAN mod-97 checksums hold).")
    add("")
    add("| file | what | records |")
    add("|---|---|---|")
    add("| `support_sft.jsonl` | chat-format customer-support SFT set (train) with planted problems | %d |" % S["total_records"])
    add("| `support_eval.jsonl` | eval set, same format; planted train->eval leakage | %d |" % E["total_records"])
    add("| `production_queries.jsonl` | reference set of production user questions; planted coverage gaps | %d |" % P["total_records"])
    add("| `intents_train.csv` | intent classification train split (`text,label`); planted label noise | %d |" % IT["total_records"])
    add("| `intents_test.csv` | intent classification test split; planted leakage | %d |" % IS["total_records"])
    add("| `answer_key.json` | machine-readable key of every planted problem (ids and details) | |")
    add("")
    add("## Definitions used by the generator (and the key)")
    add("")
    add("- **Conversation text** of a chat record: the contents of all `user` and `assistant` messages")
    add("  joined by a space (system prompts excluded).")
    add("- **Word 5-gram Jaccard**: NFC, lowercase, every non-word character (`[^\\w]`) is a separator;")
    add("  shingles are 5 consecutive tokens; Jaccard of the two shingle sets.")
    add("- **Normalised prompt**: the first `user` message, NFC, lowercased, Unicode punctuation (category")
    add("  `P*`) removed, whitespace collapsed.")
    add("- **Field** names follow the loader: `messages.<index>.content`, where the index counts every")
    add("  message of that record including a system message.")
    add("- CSV **record ids** are the 0-based data-row position as a string (`\"0\"` is the first row")
    add("  after the header).")
    add("")
    add("## support_sft.jsonl")
    add("")
    add("One JSON object per line: `{\"id\": \"sft-00001\", \"messages\": [{\"role\": \"system\"|\"user\"|\"assistant\", \"content\": ...}, ...]}`.")
    add("%d records, %d topics (`topics` in the key maps every id to its topic). About %d%% have a system" % (
        S["total_records"], len(S["topic_counts"]), round(100 * len(S["system_prompt_ids"]) / S["total_records"])))
    add("prompt and %d%% are multi-turn (2-3 user/assistant exchanges). Topic sizes vary from %d to %d," % (
        round(100 * len(S["multi_turn_ids"]) / S["total_records"]),
        min(v for k, v in S["topic_counts"].items() if k not in RARE_TOPICS),
        max(S["topic_counts"].values())))
    add("plus three **rare topics** (the planted long tail): %s." % ", ".join(
        "`%s` (%d)" % (k, S["topic_counts"][k]) for k in RARE_TOPICS))
    add("")
    add("Clean records (%d, listed in `clean_ids`) are verified by the generator: no pair of records" % len(S["clean_ids"]))
    add("outside the planted duplicates/conflicts reaches word 5-gram Jaccard 0.5, no two share a")
    add("normalised prompt, every assistant answer is 40-200 words and ends with `.`, `!` or `?`, and")
    add("there is no personal data, URL, control character, non-ASCII character, chat-template token or")
    add("arithmetic expression (except the `correct_arithmetic` controls). Each planted record has exactly")
    add("one planted problem.")
    add("")
    add("| problem | count | ids | how it was planted |")
    add("|---|---|---|---|")
    how = {
        "exact_duplicates": "copy of a clean record's messages under a new id; %d verbatim, %d `normalised` (first user turn differs only by case, whitespace or trailing punctuation)" % (N_VERBATIM_DUPS, N_NORMALISED_DUPS),
        "near_duplicates": "copy of a clean record (>= 90 words) with 1-3 word edits (synonym swap, inserted or deleted word); always >= 1 edit in the first user turn, so the normalised prompt differs; stored `jaccard` >= 0.7",
        "conflicting_answers": "pairs (%d records, `record_ids`) with the same normalised prompt and contradictory answers (fee amounts, limits, policies); half the pairs have a case/whitespace variant of the prompt" % len(sp["conflicting_answers"]["record_ids"]),
        "pii": "1-2 synthetic values (PERSON, EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE, IP_ADDRESS, STREET_ADDRESS, API_KEY) in one sentence; 40 records in a user turn, 20 in an assistant turn; key gives entity_type, value, field",
        "empty_answer": "final assistant content is empty or whitespace only",
        "placeholder_answer": "final assistant content is one of N/A, <nooutput>, No output, n/a., TBD, ...",
        "refusal_answer": "final assistant content replaced with a boilerplate AI refusal",
        "unanswerable_prompt": "first user turn refers to something the model cannot see (attached screenshot, image below, a link, an article that is not there, an online look-up, an upload, a voice message, a table above)",
        "merged_instructions": "the answer continues with `\\n\\n2. Instruction: ...\\nOutput: ...` blocks (2-3) from other topics",
        "control_chars": "one of U+0000, U+0007, U+000B, U+001B, U+007F inserted before a space (5 in an assistant turn, 3 in a user turn)",
        "mojibake": "text with curly quotes, en dashes and accents encoded UTF-8 and decoded cp1252 (e.g. `â€™`, `â€“`, `Ã©`); 6 assistant, 2 user",
        "role_order": "2 start with an assistant turn (a short greeting), 2 have two consecutive user turns, 1 ends with a user turn",
        "template_tokens": "one of `<|im_start|>assistant`, `[INST]`, `</s>`, `<|eot_id|>`, `<|im_end|>` inside a message (never at the end of an answer)",
        "wrong_arithmetic": "an answer states a calculation with a wrong result (key: expression, stated_result, correct_result)",
        "truncated_answer": "final answer cut mid-sentence, ending on a word without punctuation",
        "very_long": "final answer is 2,500-4,000 words: the original answer plus a long overview built from many topics (no sentence repeated in a row)",
        "repeated_text": "one sentence of the answer repeated 8-12 times in a row",
    }
    cell = lambda x: x.replace("|", "\\|")
    for kind in ["exact_duplicates", "near_duplicates", "conflicting_answers", "pii", "empty_answer",
                 "placeholder_answer", "refusal_answer", "unanswerable_prompt", "merged_instructions",
                 "control_chars", "mojibake", "role_order", "template_tokens", "wrong_arithmetic",
                 "truncated_answer", "very_long", "repeated_text"]:
        p = sp[kind]
        add("| `%s` | %d | %s | %s |" % (kind, p["count"], id_list(p["entries"], 16), cell(how[kind])))
    ca = S["controls"]["correct_arithmetic"]
    add("| `correct_arithmetic` (control, clean) | %d | %s | a correct calculation (e.g. `3 x $15 = $45`) so arithmetic checks can be tested for false positives; counted as clean |" % (
        ca["count"], id_list(ca["entries"])))
    add("")
    add("Planted records in total: %d; their ids are spread through the file (the final order is a seeded" % S["planted_record_count"])
    add("shuffle and ids are sequential in that order). Note that placeholder and refusal answers are")
    add("also short (< 40 words) and placeholders have no final punctuation; that is part of the defect.")
    add("")
    add("Conflicting pairs:")
    add("")
    add("| id | conflicts_with | prompt |")
    add("|---|---|---|")
    for e in sp["conflicting_answers"]["entries"]:
        add("| `%s` | `%s` | %s |" % (e["id"], e["conflicts_with"], e["prompt"].replace("|", "\\|")))
    add("")
    add("## support_eval.jsonl")
    add("")
    add("Same format, ids `eval-0001`... %d records on covered (non-rare) topics, generated fresh:" % E["total_records"])
    add("the generator verifies that no non-leaked eval record reaches word 5-gram Jaccard 0.5 against")
    add("any train record and that no non-leaked prompt equals a train prompt after normalisation.")
    add("")
    add("| problem | count | ids | how it was planted |")
    add("|---|---|---|---|")
    lk = E["problems"]["leaked_from_train"]
    add("| `leaked_from_train` | %d | %s | `exact` (6): first user turn identical to a train record's (3 whole record verbatim, 3 with a newly generated answer); `near` (6): 3 differ only by case/whitespace/trailing punctuation, 3 have 1-2 word edits in the prompt (answers copied). Key: id, leaked_from, kind, variant. Every other eval user turn is kept at char 5-gram Jaccard < 0.5 from every train user turn, so nothing else leaks |" % (
        lk["count"], id_list(lk["entries"])))
    add("")
    add("## production_queries.jsonl")
    add("")
    add("`{\"id\": \"ref-0001\", \"text\": ...}`, %d short, informal user questions (lowercase, some typos)." % P["total_records"])
    add("Most cover the SFT topics, phrased differently from the SFT prompts (none equals an SFT prompt")
    add("after normalisation); the rare train topics get %s queries." % ", ".join(
        "%s %d" % (k, v) for k, v in P["rare_in_train_topic_counts"].items()))
    add("`topics` in the key gives the topic of every query.")
    add("")
    add("| problem | count | ids | how it was planted |")
    add("|---|---|---|---|")
    for e in P["problems"]["uncovered_topics"]["entries"]:
        add("| uncovered topic `%s` (%s) | %d | see `answer_key.json` | queries on a topic the SFT set never covers (the generator checks that no SFT/eval text mentions it) |" % (
            e["topic"], e["label"], e["count"]))
    add("")
    add("## intents_train.csv / intents_test.csv")
    add("")
    add("Columns `text,label`; short lowercase user utterances (5-20 words), 12 labels, imbalanced.")
    add("Record id = str(0-based data-row position), header not counted.")
    add("")
    add("| label | train | test |")
    add("|---|---|---|")
    for label in IT["label_counts"]:
        add("| `%s` | %d | %d |" % (label, IT["label_counts"][label], IS["label_counts"].get(label, 0)))
    add("| total | %d | %d |" % (IT["total_records"], IS["total_records"]))
    add("")
    add("Label counts above include the planted rows. All other texts are unique after normalisation")
    add("across train and test.")
    add("")
    add("| file | problem | count | ids | how it was planted |")
    add("|---|---|---|---|---|")
    cl = IT["problems"]["conflicting_labels"]
    add("| train | `conflicting_labels` | %d pairs | %s | an ambiguous utterance appears twice (verbatim or case/whitespace variant) with two different labels; key lists both row ids |" % (
        cl["count"], "; ".join("`%s`+`%s`" % tuple(e["ids"]) for e in cl["entries"])))
    ml = IT["problems"]["mislabeled"]
    add("| train | `mislabeled` | %d | %s | an utterance clearly of one label given another; key has given_label and true_label |" % (
        ml["count"], id_list(ml["entries"])))
    tl = IS["problems"]["leaked_from_train"]
    add("| test | `leaked_from_train` | %d | %s | 4 verbatim copies of train texts, 4 differing only by case/whitespace; key has leaked_from (train row id) |" % (
        tl["count"], id_list(tl["entries"])))
    add("")
    add("## answer_key.json")
    add("")
    add("Top level: `seed`, `generator`, `definitions`, then one section per file with `total_records`,")
    add("`problems` (`{kind: {count, entries}}`), and per file extras: `topics` (id -> topic), `topic_counts`,")
    add("`rare_topics`, `clean_ids`, `controls.correct_arithmetic`, `multi_turn_ids`, `system_prompt_ids`")
    add("(SFT); `label_counts` (CSVs).")
    add("")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(L))


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main(out_dir=HERE):
    rng = random.Random(SEED)
    sft_rng, eval_rng, prod_rng, intent_rng = (random.Random(rng.getrandbits(64)) for _ in range(4))
    gen = Generator(sft_rng)
    sft, ids, leak_sources = build_sft(sft_rng, gen)
    gen.rng = eval_rng
    ev = build_eval(eval_rng, gen, leak_sources, ids, sft)
    sft_user_norms = {norm_prompt(m["content"]) for r in sft + ev for m in r["messages"] if m["role"] == "user"}
    prod = build_production(prod_rng, sft_user_norms)
    itrain, itest = build_intents(intent_rng)

    key_sft = sft_key(sft, ids)
    key_eval = eval_key(ev)
    key_prod = production_key(prod)
    key_itrain, key_itest = intents_key(itrain, itest)
    key = {
        "seed": SEED,
        "generator": "python sample_data/generate.py",
        "definitions": {
            "conversation_text": "contents of all user and assistant messages joined by a space (system excluded)",
            "shingles": "word 5-grams; NFC, lowercase, every non-word character is a separator",
            "normalised_prompt": "first user message; NFC, lowercase, Unicode punctuation removed, whitespace collapsed",
            "field": "messages.<index>.content, index over all messages of the record including system",
            "csv_record_id": "str(0-based data-row position), header row not counted",
            "clean_max_jaccard": CLEAN_MAX_JACCARD,
            "near_duplicate_min_jaccard": NEAR_DUP_MIN_JACCARD,
        },
        "support_sft.jsonl": key_sft,
        "support_eval.jsonl": key_eval,
        "production_queries.jsonl": key_prod,
        "intents_train.csv": key_itrain,
        "intents_test.csv": key_itest,
    }

    c = Checker()
    verify_sft(c, sft, ids, key_sft)
    verify_eval(c, ev, sft)
    verify_production(c, prod, sft_user_norms)
    verify_intents(c, itrain, itest, key_itrain, key_itest)
    if c.errors:
        for e in c.errors[:50]:
            print("INVARIANT FAILED:", e, file=sys.stderr)
        print("%d invariant(s) failed; nothing written" % len(c.errors), file=sys.stderr)
        return 1

    write_jsonl(os.path.join(out_dir, "support_sft.jsonl"),
                [{"id": r["id"], "messages": r["messages"]} for r in sorted(sft, key=lambda r: r["id"])])
    write_jsonl(os.path.join(out_dir, "support_eval.jsonl"),
                [{"id": r["id"], "messages": r["messages"]} for r in sorted(ev, key=lambda r: r["id"])])
    write_jsonl(os.path.join(out_dir, "production_queries.jsonl"),
                [{"id": r["id"], "text": r["text"]} for r in sorted(prod, key=lambda r: r["id"])])
    write_csv(os.path.join(out_dir, "intents_train.csv"), itrain)
    write_csv(os.path.join(out_dir, "intents_test.csv"), itest)
    with open(os.path.join(out_dir, "answer_key.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(key, f, ensure_ascii=False, indent=1)
        f.write("\n")
    write_readme(os.path.join(out_dir, "README.md"), key, sft, ev, prod, itrain, itest)
    print("wrote %d sft, %d eval, %d production, %d+%d intent rows to %s" % (
        len(sft), len(ev), len(prod), len(itrain), len(itest), out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
