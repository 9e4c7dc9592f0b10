"""Generation routes: validate, call a service over HTTP, persist its result on the project."""
