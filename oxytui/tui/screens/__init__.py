"""Screens: the main dashboard and its modal dialogs."""
