"""The yearly self-assessment round a council opens for the services in its area."""
