"""Flowker core: domain, engine and persistence. Imports nothing else of Flowker's."""
