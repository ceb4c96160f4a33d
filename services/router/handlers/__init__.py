"""The router's edges: consumers (inbound, commands, deliveries), the SLA sweeper, presence, and the
steps they share (dispatch). Each runs in one unit of work and decides with the pure rules."""
