"""Tiny in-memory batches in the canonical shape (what CurateDataset.batch() returns)."""


def sft_batch(rows):
    """rows: (id, prompt, response)."""
    return {"id": [r[0] for r in rows], "format": ["prompt_completion"] * len(rows), "prompt": [r[1] for r in rows],
            "response": [r[2] for r in rows], "label": [None] * len(rows),
            "messages": [[{"role": "user", "content": r[1]}, {"role": "assistant", "content": r[2]}] for r in rows]}


def clf_batch(rows):
    """rows: (id, text, label)."""
    return {"id": [r[0] for r in rows], "format": ["classification"] * len(rows), "prompt": [r[1] for r in rows],
            "response": [""] * len(rows), "label": [r[2] for r in rows], "messages": [[] for _ in rows]}


ANSWER = ("Open the app, go to Cards, tap the card you lost and choose Freeze. A replacement is free with standard "
          "delivery and arrives in five to seven business days; express delivery costs fifteen dollars.")
OTHER = ("Transfers to other banks usually arrive the next business day. If a transfer is late, check the status "
         "under Payments and contact us with the reference number so we can trace it.")
