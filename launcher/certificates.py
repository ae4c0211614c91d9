"""Certificates for mutual TLS between the embedded platform's processes.

With ``LOKOS_GRPC_TLS=true`` the launcher makes, at first start, a private CA and one
certificate per process (server and client use: every process both answers and calls), all
through :mod:`lokos.secretfiles` under ``data_dir/secrets/tls``. A deployment with its own PKI
gives each process ``LOKOS_GRPC_TLS_CERT``, ``_KEY`` and ``_CA`` instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lokos import secretfiles
from lokos.rpc import TlsFiles

TLS_DIR = Path("secrets") / "tls"
# Long enough that a development platform never meets an expired certificate; a deployment
# that needs rotation brings its own PKI.
VALID_DAYS = 3650


def ensure(data_dir: Path, names: Iterable[str]) -> dict[str, TlsFiles]:
    """The CA and a certificate for each name (made the first time), as files per name."""
    folder = data_dir / TLS_DIR
    ca_key_path, ca_path = folder / "ca.key", folder / "ca.pem"
    secretfiles.read_or_create(ca_key_path, _new_key)
    secretfiles.read_or_create(ca_path, lambda: _ca_cert(_load_key(ca_key_path)))
    files: dict[str, TlsFiles] = {}
    for name in names:
        key_path, cert_path = folder / f"{name}.key", folder / f"{name}.pem"
        secretfiles.read_or_create(key_path, _new_key)
        secretfiles.read_or_create(
            cert_path,
            functools.partial(_leaf_cert, name, key_path, ca_key_path, ca_path),
        )
        files[name] = TlsFiles(cert=cert_path, key=key_path, ca=ca_path)
    return files


def _new_key() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _validity() -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    return now - dt.timedelta(minutes=5), now + dt.timedelta(days=VALID_DAYS)


def _ca_cert(key: ec.EllipticCurvePrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LokOS internal CA")])
    start, end = _validity()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def _leaf_cert(name: str, key_path: Path, ca_key_path: Path, ca_path: Path) -> bytes:
    key, ca_key = _load_key(key_path), _load_key(ca_key_path)
    ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
    start, end = _validity()
    # Channels name services by 127.0.0.1:<port> (embedded) or by host name (compose).
    names: list[x509.GeneralName] = [
        x509.DNSName(name),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)
