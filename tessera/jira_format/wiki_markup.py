"""Jira wiki markup to Markdown (a placeholder: the converter's own branch replaces this module)."""


def wiki_to_markdown(text: str) -> str:
    return text
