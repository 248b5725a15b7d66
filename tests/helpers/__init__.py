"""Test data and builders shared by several test modules (test modules never import each other)."""
