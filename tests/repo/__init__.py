"""The repository's own rules: import layers, deployment hardening, the dependency audit."""
