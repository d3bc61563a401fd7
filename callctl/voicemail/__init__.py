"""Voicemail: recorded messages taken from Asterisk into callctl's store, and notifications."""
