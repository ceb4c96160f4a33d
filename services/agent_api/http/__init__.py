"""The agent API's HTTP layer: authentication, request reading and bounds, the routes, the OpenAPI
document. Routes read through `queries` and write through `commands` or the bus."""
