"""Helpers that act on the operator's machine (files, keys); the pure logic is in lvsha/."""
