"""Scorers: the ANSWER-line extractor (LLM judges and agreement join it here)."""

from procsft.judge.extractor import extract_answer, score_extractor

__all__ = ["extract_answer", "score_extractor"]
