"""Implementations of the domain's processor port."""
