# Runs inside the install sandbox, in front of pip/conda: they only speak TCP to a proxy, and the
# sandbox has no network but its own loopback. Relays 127.0.0.1:PORT to the host proxy's Unix socket
# (the host decides what is reachable), runs the tool, and exits with its status.
# usage: python3 -I -S forward.py PORT SOCKET -- PROGRAM [ARGS...]
import signal
import socket
import subprocess
import sys
import threading


def pump(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client, path):
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(path)
    except OSError:
        client.close()
        upstream.close()
        return
    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pump(client, upstream)
    back.join()
    client.close()
    upstream.close()


def accept(listener, path):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(client, path), daemon=True).start()


def main():
    port, path, separator, command = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    if separator != "--" or not command:
        sys.exit("usage: forward.py PORT SOCKET -- PROGRAM [ARGS...]")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    threading.Thread(target=accept, args=(listener, path), daemon=True).start()
    child = subprocess.Popen(command)
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, lambda received, _frame: child.send_signal(received))
    status = child.wait()
    sys.exit(status if status >= 0 else 128 - status)


main()
