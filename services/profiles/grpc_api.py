"""ProfilesService over gRPC: one servicer composed of each concept's methods.

Every concept folder has a ``grpc_api.py`` with a mixin that translates proto ↔ domain and
calls that concept's rules; nothing else lives in the servicers.
"""

from __future__ import annotations

from lokos.profiles.v1 import profiles_pb2_grpc
from services.profiles.cbo.grpc_api import CboRpc
from services.profiles.deps import Deps
from services.profiles.federation.grpc_api import FederationRpc
from services.profiles.geography.grpc_api import GeographyRpc
from services.profiles.masters.grpc_api import MastersRpc
from services.profiles.member.grpc_api import MemberRpc
from services.profiles.mis_import.grpc_api import MigrationRpc
from services.profiles.review.grpc_api import ReviewRpc
from services.profiles.totals.grpc_api import TotalsRpc


class ProfilesServicer(
    GeographyRpc,
    MastersRpc,
    CboRpc,
    MemberRpc,
    ReviewRpc,
    FederationRpc,
    MigrationRpc,
    TotalsRpc,
    profiles_pb2_grpc.ProfilesServiceServicer,
):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
