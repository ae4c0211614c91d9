from pydantic import Field

from lokos.config import GrpcEndpoints, ServiceSettings


class ProfilesSettings(ServiceSettings, GrpcEndpoints):
    service_name: str = "profiles"
    grpc_port: int = 50052
    # Keyed hashes of Aadhaar, bank accounts, voter IDs and mobiles (the de-duplication
    # index holds only these); generated into data_dir when empty.
    identifier_key: str = Field(default="", repr=False)
    # Largest CSV accepted by the importers, bytes.
    max_import_bytes: int = 512 * 1024 * 1024
    # Default member limits for SHG types without a per-state rule.
    default_min_members: int = 5
    default_max_members: int = 20
