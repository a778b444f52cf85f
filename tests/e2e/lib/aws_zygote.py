"""The aws CLI for the AWS suites without its start-up cost.

Each `aws` command starts a Python, imports botocore and awscli and parses the service's
model: about a second of CPU, and the AWS suites run dozens of them per pass. Here one
server imports all that once; every call is a fork of it that runs the aws CLI's own
CLIDriver on the caller's arguments, environment, working directory and file descriptors
(passed over the socket), so output, exit status and signing are the aws CLI's own.

  python3 aws_zygote.py serve SOCKET      (the aws CLI's Python; runs until killed)
  python3 aws_zygote.py call SOCKET ARGS  (any python3; exits with the aws CLI's status)
"""
import array
import json
import os
import signal
import socket
import struct
import sys

SERVICES = ("ssm", "s3", "logs", "iam", "kms", "sts")


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def run_one(conn, loader):
    """In a forked child: read the request, become the caller, run the aws CLI."""
    fds = array.array("i")
    msg, ancdata, _, _ = conn.recvmsg(4, socket.CMSG_SPACE(3 * fds.itemsize))
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    (size,) = struct.unpack("!I", msg + recv_exact(conn, 4 - len(msg)))
    request = json.loads(recv_exact(conn, size))
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
        os.close(fd)
    data_path = os.environ.get("AWS_DATA_PATH")  # set by awscli's import, for its own models
    os.environ.clear()
    os.environ.update(request["env"])
    if data_path and "AWS_DATA_PATH" not in os.environ:
        os.environ["AWS_DATA_PATH"] = data_path
    os.chdir(request["cwd"])
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    import botocore.session
    from awscli.clidriver import CLIDriver, _set_user_agent_for_session
    from awscli.plugin import load_plugins
    from awscli.clidriver import EnvironmentVariables

    rc = 255
    try:
        session = botocore.session.Session(EnvironmentVariables)
        session.register_component("data_loader", loader)
        _set_user_agent_for_session(session)
        load_plugins(session.full_config.get("plugins", {}), event_hooks=session.get_component("event_emitter"))
        rc = CLIDriver(session=session).main(request["argv"])
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException as e:  # the CLI catches its own errors; anything else is still a status
        print(f"aws_zygote: {type(e).__name__}: {e}", file=sys.stderr)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
    conn.sendall(struct.pack("!i", rc))


def serve(path):
    import awscli.clidriver  # noqa: F401  (the imports are the cost being shared)
    import awscli.handlers  # noqa: F401
    from botocore.loaders import create_loader

    loader = create_loader(os.environ.get("AWS_DATA_PATH"))
    for name in SERVICES:
        try:
            loader.load_service_model(name, "service-2")
            loader.load_service_model(name, "paginators-1")
            loader.load_service_model(name, "endpoint-rule-set-1")
        except Exception:
            pass
    loader.list_available_services(type_name="service-2")  # the CLI lists them for its command table
    loader.load_data("endpoints")
    loader.load_data("partitions")

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path + ".tmp")
    os.rename(path + ".tmp", path)  # callers wait for the name: it appears ready to accept
    server.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reap themselves
    while True:
        conn, _ = server.accept()
        if os.fork() == 0:
            server.close()
            code = 0
            try:
                run_one(conn, loader)
            except BaseException:
                code = 1
            os._exit(code)
        conn.close()


def call(path, argv):
    request = json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    fds = []
    for fd in (0, 1, 2):  # a closed descriptor of the caller's is /dev/null for the CLI
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:
            fds.append(os.open(os.devnull, os.O_RDWR))
    payload = struct.pack("!I", len(request)) + request
    sent = conn.sendmsg([payload[:4]], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    conn.sendall(payload[sent:])
    try:
        (rc,) = struct.unpack("!i", recv_exact(conn, 4))
    except EOFError:
        print("aws_zygote: the aws CLI ended without a status", file=sys.stderr)
        rc = 255
    return rc


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "call":
        sys.exit(call(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit("usage: aws_zygote.py serve SOCKET | call SOCKET ARGS...")
