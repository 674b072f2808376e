"""Tiny, obviously-correct reference models for differential tests."""
