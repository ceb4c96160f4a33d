"""Read-only SQL shaped for the API's answers: conversations, listings, statistics, callbacks, stream
replay. Reads other services' data only through the views they publish."""
