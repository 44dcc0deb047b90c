"""Supervised child processes that never outlive the service."""

from sender_common.process.supervisor import ProcessState, SupervisedProcess

__all__ = ["ProcessState", "SupervisedProcess"]
