"""The SimPy processes of the service: demand, MASH, allocation, casework, workforce."""
from .service import Service, run_replication

__all__ = ["Service", "run_replication"]
