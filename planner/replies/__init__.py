"""Drafted replies and notes to clients, in Japanese and English."""
