"""What the gateway and the services share: models, the error envelope, storage and HTTP plumbing.

Nothing here imports a deployable; every deployable may import this package.
"""
