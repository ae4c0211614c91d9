from pydantic import Field

from lokos.config import GrpcEndpoints, ServiceSettings


class IdentitySettings(ServiceSettings, GrpcEndpoints):
    service_name: str = "identity"
    grpc_port: int = 50051

    # Identity provider: a real Keycloak when keycloak_url is set, else the embedded one.
    keycloak_url: str = ""
    keycloak_admin_user: str = "admin"
    keycloak_admin_password: str = Field(default="", repr=False)
    # Issuer base of the embedded IdP and the realms it serves (embedded mode).
    idp_url: str = "http://127.0.0.1:8180"
    idp_realms: str = "lokos-national,lokos-up"

    # Brute force: this many wrong passwords in a row lock the account for lockout_seconds.
    max_failed_logins: int = 5
    lockout_seconds: int = 900

    # SMS OTP for binding a mobile device.
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_resend_interval_seconds: int = 30
    otp_max_per_hour: int = 5
    # Keyed hash of OTPs at rest; generated into data_dir when empty.
    otp_secret: str = Field(default="", repr=False)
    # SMS gateway: empty → development outbox (data_dir/sms/outbox.jsonl, read by `lokos otp`).
    sms_gateway_url: str = ""
    sms_gateway_token: str = Field(default="", repr=False)
    sms_sender_id: str = "LOKOS"
