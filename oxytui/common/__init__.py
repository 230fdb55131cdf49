"""Small dependency-free helpers shared by the client, the runs model and the ops tools (stdlib only)."""
