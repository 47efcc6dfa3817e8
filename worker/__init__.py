"""Flowker's worker layer: the Dramatiq broker, the actors that run nodes, and the
dispatcher the engine uses to send them. The only package that sends messages."""
