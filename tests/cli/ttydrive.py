#!/usr/bin/env python3
# ttydrive.py — runs a command on a pseudo-terminal of a given size, as a
# person at a terminal would (the terminal test, test_tty.sh; expect(1)
# is not on every host, Python's pty is). Steps, one argument each:
#   send:TEXT     types TEXT (\r, \x03 ... as Python escapes)
#   expect:RE     waits up to 30 s for RE in what the terminal shows since the last expect
#   size:RxC      the window changes size (the CLI gets SIGWINCH)
#   sleep:S       waits S seconds
# Exits 0 with what the terminal showed and "exit N" (the command's
# status) on the last line once the command ends, or 1 with what was seen when an expect timed out.
# Usage: ttydrive.py ROWSxCOLS 'CMD' STEP...
import fcntl, os, pty, re, select, signal, struct, sys, termios, time

def set_size(fd, spec):
    r, c = (int(x) for x in spec.split('x'))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))

def main():
    size, cmd, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp('sh', ['sh', '-c', cmd])
    set_size(fd, size)
    seen = b''
    transcript = []                      # all it showed: printed before the status
    def read_some(timeout):
        nonlocal seen
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(fd, 4096)
        except OSError:
            return False
        if not data:
            return False
        seen += data
        transcript.append(data)
        return True
    for step in steps:
        kind, _, arg = step.partition(':')
        if kind == 'send':
            os.write(fd, arg.encode().decode('unicode_escape').encode('latin-1'))
        elif kind == 'size':
            set_size(fd, arg)
            os.kill(pid, signal.SIGWINCH)
        elif kind == 'sleep':
            end = time.time() + float(arg)
            while time.time() < end and read_some(end - time.time()):
                pass
        elif kind == 'expect':
            end = time.time() + 30
            while not re.search(arg.encode(), seen):
                if time.time() > end or not read_some(min(1, end - time.time())):
                    if re.search(arg.encode(), seen):
                        break
                    print('expect timed out: %r; saw: %r' % (arg, seen[-600:]))
                    os.kill(pid, signal.SIGKILL)
                    sys.exit(1)
            seen = seen[re.search(arg.encode(), seen).end():]
    end = time.time() + 60
    wpid = 0
    while time.time() < end and not wpid:
        read_some(0.2)
        wpid, status = os.waitpid(pid, os.WNOHANG)
    if not wpid:
        os.kill(pid, signal.SIGKILL)
        print('did not end; saw: %r' % seen[-600:])
        sys.exit(1)
    sys.stdout.write(b''.join(transcript).decode('utf-8', 'replace').replace('\r', ''))
    print('\nexit %d' % os.waitstatus_to_exitcode(status))

main()
