"""The wire format the gateway and the services share: pydantic models of every HTTP API, the
error envelope, and the validators those models apply (`contracts/openapi/*.json` is their
OpenAPI rendering).

Nothing here imports a deployable or `runtime`; every deployable may import this package.
"""
