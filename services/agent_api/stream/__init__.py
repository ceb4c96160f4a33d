"""The agents' live stream: fan-out of bus events to sockets, re-checked authentication, replay after
a gap, and presence reports to the router."""
