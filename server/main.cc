// memkit-server: a memcached 1.6.18-compatible server.
//
//   bazel run --config=opt //server:memkit-server -- -p 11311 -t 4
//
// Accepts every flag of memcached 1.6.18 (memkit-server -h lists those it
// honours). A bad flag exits at once with memcached's message on stderr and
// memcached's status (1 for a bad value, 64 (EX_USAGE) for the checks after
// parsing); a port it cannot bind exits with 71 (EX_OSERR). SIGTERM and
// SIGINT stop it gracefully (exit 0), as does the "shutdown" command when -A
// is given. -d, -P, -r, -k and -u act as memcached's (see Daemonize() and
// docs/server.md); as root without -u it runs on (memcached refuses).
//
// Like memcached, when MEMCACHED_PORT_FILENAME is set it writes the ports it
// listens on to that file ("TCP INET: <port>" per TCP listener, "UDP INET:
// <port>" per UDP one) once they are bound, so a test can start it with
// `-p 0` and read the chosen port back.

#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/stats/histogram.h"
#include "server/admin_service.h"
#include "server/flags.h"
#include "server/server.h"

namespace {

// Written by OnStopSignal, read by the signal thread in main().
int g_stop_pipe[2] = {-1, -1};

extern "C" void OnStopSignal(int signo) {
  const int saved_errno = errno;
  const unsigned char byte = static_cast<unsigned char>(signo);
  ssize_t ignored = write(g_stop_pipe[1], &byte, 1);
  (void)ignored;
  errno = saved_errno;
}

}  // namespace

namespace {

constexpr int kExitUsage = 64;   // EX_USAGE
constexpr int kExitNoUser = 67;  // EX_NOUSER
constexpr int kExitOsErr = 71;   // EX_OSERR

// Writes `content` to `path` through a temporary file and a rename, so that a
// script polling for the file never reads it half-written.
bool WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << content;
    if (!out) return false;
  }
  return rename(temp.c_str(), path.c_str()) == 0;
}

// Starts the admin API and /metrics when asked for; prints the addresses
// chosen as "admin-listen: HOST:PORT" / "metrics-listen: HOST:PORT" lines on
// stderr (scripts and tests parse them). Null with no admin flags.
absl::StatusOr<std::unique_ptr<memkit::server::ServerAdmin>> StartAdmin(
    memkit::server::Server* server, const memkit::server::ServerFlags& flags,
    const std::vector<std::string>& command_line, const memkit::stats::Histogram* latency) {
  if (flags.admin_listen.empty() && flags.metrics_listen.empty()) {
    if (flags.enable_test_controls) {
      std::fprintf(stderr, "memkit-server: --enable-test-controls has no effect without --admin-listen\n");
    }
    return std::unique_ptr<memkit::server::ServerAdmin>();
  }
  memkit::server::ServerAdminOptions options;
  options.admin.listen = flags.admin_listen;
  options.admin.token_file = flags.admin_token_file;
  options.admin.tls_cert_file = flags.admin_tls_cert;
  options.admin.tls_key_file = flags.admin_tls_key;
  options.admin.insecure = flags.admin_insecure;
  options.metrics_listen = flags.metrics_listen;
  options.enable_test_controls = flags.enable_test_controls;
  options.command_line = command_line;
  options.request_latency = latency;
  auto admin = memkit::server::ServerAdmin::Create(server, options);
  if (!admin.ok()) return admin.status();
  if ((*admin)->admin_port() != 0) {
    std::fprintf(stderr, "admin-listen: %s\n", (*admin)->admin_address().c_str());
    if (!flags.admin_port_file.empty() &&
        !WriteFileAtomically(flags.admin_port_file, std::to_string((*admin)->admin_port()) + "\n")) {
      return absl::UnavailableError("cannot write --admin-port-file " + flags.admin_port_file);
    }
  }
  if ((*admin)->metrics_port() != 0) {
    std::fprintf(stderr, "metrics-listen: %s\n", (*admin)->metrics_address().c_str());
  }
  std::fflush(stderr);
  return admin;
}

// memcached's port file: one "TCP INET: <port>" (or INET6) line per TCP
// listener, then one "UDP INET: <port>" line per UDP one (-U binds the same
// interfaces), written whole (see WriteFileAtomically) so that a harness
// that polls for the file never reads half of it.
bool WritePortFile(const std::string& path, const memkit::server::Server& server) {
  std::string content;
  auto add = [&content](const char* proto, const memkit::net::Address& a) {
    if (!a.is_ip()) return;
    const bool v6 = a.family() == memkit::net::Address::Family::kIPv6;
    content += std::string(proto) + " INET" + (v6 ? "6" : "") + ": " + std::to_string(a.port()) + "\n";
  };
  for (const memkit::net::Address& a : server.listen_addresses()) add("TCP", a);
  for (const memkit::net::Address& a : server.udp_addresses()) add("UDP", a);
  return WriteFileAtomically(path, content);
}

// memcached's -u: only root changes identity; the exit statuses are its.
int DropPrivileges(const std::string& user) {
  if (getuid() != 0 && geteuid() != 0) return 0;
  if (user.empty()) return 0;  // memcached refuses to run; see the file comment
  struct passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) {
    std::fprintf(stderr, "can't find the user %s to switch to\n", user.c_str());
    return kExitNoUser;
  }
  if (setgroups(0, nullptr) < 0) {
    std::fprintf(stderr, "failed to drop supplementary groups\n");
    return kExitOsErr;
  }
  if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
    std::fprintf(stderr, "failed to assume identity of user %s\n", user.c_str());
    return kExitOsErr;
  }
  return 0;
}

// memcached's -r: the core file limit to its hard maximum (infinity when
// allowed); an error only when no core file could be written at all.
bool RaiseCoreLimit() {
  struct rlimit rlim;
  if (getrlimit(RLIMIT_CORE, &rlim) == 0) {
    struct rlimit wanted = {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_CORE, &wanted) != 0) {
      wanted.rlim_cur = wanted.rlim_max = rlim.rlim_max;
      (void)setrlimit(RLIMIT_CORE, &wanted);
    }
  }
  return getrlimit(RLIMIT_CORE, &rlim) == 0 && rlim.rlim_cur != 0;
}

// memcached's -d (its daemon(3) twin): the parent exits 0 at once; the child
// leads a new session, moves to / (unless -r, to keep cores where they
// were) and, unless -v, points stdin/stdout/stderr at /dev/null. Runs before
// any thread exists, so the fork is safe.
bool Daemonize(bool nochdir, bool noclose) {
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid > 0) _exit(EXIT_SUCCESS);
  if (setsid() == -1) return false;
  if (!nochdir && chdir("/") != 0) return false;
  if (!noclose) {
    const int fd = open("/dev/null", O_RDWR);
    if (fd < 0) return false;
    if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
        dup2(fd, STDERR_FILENO) < 0) {
      return false;
    }
    if (fd > STDERR_FILENO) close(fd);
  }
  return true;
}

// memcached's save_pid: warns when the file names a live process, writes
// through a temporary file and a rename.
void SavePid(const std::string& path) {
  {
    std::ifstream in(path);
    long old = 0;
    if (in >> old && old > 0 && kill(static_cast<pid_t>(old), 0) == 0) {
      std::fprintf(stderr, "WARNING: The pid file contained the following (running) pid: %ld\n", old);
    }
  }
  if (!WriteFileAtomically(path, std::to_string(static_cast<long>(getpid())) + "\n")) {
    std::fprintf(stderr, "Could not open the pid file %s.tmp for writing: %s\n", path.c_str(),
                 std::strerror(errno));
  }
}

// A relative path made absolute before -d moves to /.
std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  setvbuf(stderr, nullptr, _IONBF, 0);  // as memcached: unbuffered under supervisors
  auto flags = memkit::server::ParseServerFlags(args, argc > 0 ? argv[0] : "memkit-server");
  if (!flags.ok()) {
    std::fprintf(stderr, "%s\n", std::string(flags.status().message()).c_str());
    return memkit::server::FlagErrorExitCode(flags.status());
  }
  if (flags->help) {
    std::fputs(memkit::server::ServerUsage().c_str(), stdout);
    return 0;
  }
  if (flags->license) {
    std::fputs(memkit::server::ServerLicense().c_str(), stdout);
    return 0;
  }
  if (flags->version) {
    std::printf("memkit-server %s\n", flags->options.version.c_str());
    return 0;
  }
  for (const std::string& warning : flags->warnings) std::fprintf(stderr, "%s\n", warning.c_str());

  // memcached's order: core limit, identity, daemon, memory lock; all before
  // any thread starts (fork) and before the listeners bind (as memcached,
  // a port below 1024 then needs the identity kept).
  if (flags->enable_coredumps && !RaiseCoreLimit()) {
    std::fprintf(stderr, "failed to ensure corefile creation\n");
    return kExitOsErr;
  }
  if (int rc = DropPrivileges(flags->user); rc != 0) return rc;
  if (flags->daemonize) {
    flags->options.persist_dir = Absolute(flags->options.persist_dir);
    if (signal(SIGHUP, SIG_IGN) == SIG_ERR) std::perror("Failed to ignore SIGHUP");
    if (!Daemonize(/*nochdir=*/flags->enable_coredumps, /*noclose=*/flags->options.verbosity > 0)) {
      std::fprintf(stderr, "failed to daemon() in order to daemonize\n");
      return EXIT_FAILURE;
    }
  }
  if (flags->lock_memory && mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    std::fprintf(stderr, "warning: -k invalid, mlockall() failed: %s\n", std::strerror(errno));
  }

  // Stop signals: an async-signal-safe handler writes the signal number to a
  // pipe, and a dedicated thread reads it and asks the server to shut down.
  // The server's threads inherit a mask that blocks these signals, so the
  // signal thread (which unblocks them) takes them; a thread that exists
  // before main() and does not block them (sanitizer runtimes start some)
  // runs the same handler instead of dying of the default action.
  if (pipe2(g_stop_pipe, O_CLOEXEC) != 0) {
    std::perror("memkit-server: pipe");
    return kExitOsErr;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  struct sigaction on_stop = {};
  on_stop.sa_handler = OnStopSignal;
  sigemptyset(&on_stop.sa_mask);
  // No SA_RESTART: the signal thread's read() must return EINTR. TSan defers
  // a handler until its thread leaves the interrupted call, so a restarted
  // read() would never return and SIGTERM would never stop the server.
  on_stop.sa_flags = 0;
  // SIGUSR1: memcached's graceful shutdown; SIGHUP: reload the -Y/-S user files.
  for (int signo : {SIGINT, SIGTERM, SIGUSR1, SIGHUP}) {
    sigaddset(&stop_signals, signo);
    sigaction(signo, &on_stop, nullptr);
  }
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Recorded by the request path, reported by the admin API and /metrics.
  // Recorded by the request path (two clock reads a request), only when the
  // admin API or /metrics will report it.
  std::unique_ptr<memkit::stats::Histogram> request_latency;
  if (!flags->admin_listen.empty() || !flags->metrics_listen.empty()) {
    request_latency = std::make_unique<memkit::stats::Histogram>();
  }
  flags->options.request_latency = request_latency.get();
  auto server = memkit::server::Server::Create(flags->options);
  if (!server.ok() &&
      server.status().GetPayload(memkit::server::Server::kMemcachedStartupPayload).has_value()) {
    std::fputs(std::string(server.status().message()).c_str(), stderr);
    return 1;
  }
  if (!server.ok()) {
    std::fprintf(stderr, "memkit-server: %s\n", std::string(server.status().message()).c_str());
    return server.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitOsErr;
  }
  std::vector<std::string> command_line(argv, argv + argc);
  auto admin = StartAdmin(server->get(), *flags, command_line, request_latency.get());
  if (!admin.ok()) {
    std::fprintf(stderr, "memkit-server: %s\n", std::string(admin.status().message()).c_str());
    (*server)->Shutdown();
    return admin.status().code() == absl::StatusCode::kInvalidArgument ||
                   admin.status().code() == absl::StatusCode::kNotFound
               ? kExitUsage
               : kExitOsErr;
  }
  if (const char* port_file = std::getenv("MEMCACHED_PORT_FILENAME");
      port_file != nullptr && *port_file != '\0' && !WritePortFile(port_file, **server)) {
    std::fprintf(stderr, "memkit-server: writing the port file %s: %s\n", port_file,
                 std::strerror(errno));
    (*server)->Shutdown();
    return kExitOsErr;
  }
  if (!flags->pidfile.empty()) SavePid(flags->pidfile);

  memkit::server::Server* raw = server->get();
  std::thread signal_thread([raw, stop_signals] {
    pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
    unsigned char signo = 0;
    ssize_t n;
    for (;;) {
      do {
        n = read(g_stop_pipe[0], &signo, 1);
      } while (n < 0 && errno == EINTR);
      if (n != 1 || signo != SIGHUP) break;
      if (absl::Status s = raw->ReloadAuthFiles(); !s.ok()) {
        std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      }
    }
    if (n == 1 && signo == 0) return;  // main() is done (the shutdown command)
    if (n == 1 && raw->options().verbosity > 0) {
      std::fprintf(stderr, "Signal handled: %s.\n", strsignal(signo));
    }
    raw->RequestShutdown();
  });

  raw->WaitForShutdownRequest();
  // Wake the signal thread if no signal did, and join it before the server
  // goes away: after a signal it may still be inside RequestShutdown().
  const unsigned char done = 0;
  ssize_t ignored = write(g_stop_pipe[1], &done, 1);
  (void)ignored;
  signal_thread.join();
  if (*admin != nullptr) (*admin)->Shutdown();
  raw->Shutdown();
  // memcached removes the pid file only when it daemonized.
  if (flags->daemonize && !flags->pidfile.empty() && unlink(flags->pidfile.c_str()) != 0) {
    std::fprintf(stderr, "Could not remove the pid file %s: %s\n", flags->pidfile.c_str(),
                 std::strerror(errno));
  }
  return 0;
}
