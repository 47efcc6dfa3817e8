"""Flowker's REST API (Flask + flask-smorest): thin views over ``core`` services."""
