"""The running service: composition of road network, engine, store and APIs."""
