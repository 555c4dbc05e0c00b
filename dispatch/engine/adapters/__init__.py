"""The engine's adapters: what runs the pure core in a live service.

``runner`` drives the engine in its own thread with the wall clock and hands its commands
to the sink; ``worker`` runs re-optimisations in a solver process with a hard deadline;
``publisher`` hands plan versions to the drivers' connections. The core
(``dispatch.engine`` outside this package) imports none of them: it does no I/O, starts
no thread and no process, and the replay drives it without them.
"""
