// crema-server: the HTTP API and dashboard over a crema store (docs/server.md).
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "config.h"
#include "crema/store/store.h"
#include "server.h"

namespace {

// SIGINT/SIGTERM may land on any thread (libraries start threads before main), so the
// handler only writes the signal number to a pipe that one thread waits on.
int g_signal_pipe[2] = {-1, -1};
extern "C" void on_signal(int sig) {
  const unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] const ssize_t n = write(g_signal_pipe[1], &b, 1);
}

int fail(const crema::Error& e, int code = 1) {
  std::fprintf(stderr, "crema-server: error: %s\n", e.message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using crema::server::ServerConfig;
  ServerConfig cfg;
  std::string config_file, create_key, role = "viewer";
  CLI::App app{"crema-server: the crema HTTP API and coordinator dashboard"};
  app.add_option("--db", cfg.db_path, "the crema store (SQLite file; created if missing)");
  app.add_option("--config", config_file, "JSON config file (keys in docs/server.md); flags win");
  auto* host = app.add_option("--host", cfg.host, "address to bind (default 127.0.0.1: this machine only)");
  auto* port = app.add_option("--port", cfg.port, "TCP port (0 = any free port; default 8080)");
  auto* port_file = app.add_option("--port-file", cfg.port_file, "write the bound port to this file");
  auto* cert = app.add_option("--tls-cert", cfg.tls_cert, "PEM certificate: serve HTTPS");
  auto* key = app.add_option("--tls-key", cfg.tls_key, "PEM private key for --tls-cert");
  auto* threads = app.add_option("--threads", cfg.threads, "HTTP worker threads, one per open connection (default 64)");
  auto* max_body = app.add_option("--max-body", cfg.max_body_bytes, "largest request body in bytes (default 4 MiB)");
  auto* max_batch = app.add_option("--max-batch", cfg.max_batch, "most posts per POST /v1/posts (default 1000)");
  auto* rate = app.add_option("--rate", cfg.rate_per_s, "requests/s per API key, sustained (default 50)");
  auto* burst = app.add_option("--burst", cfg.rate_burst, "requests per API key at once (default 200)");
  auto* cors = app.add_option("--cors-origin", cfg.cors_origin, "allow this browser origin (default: CORS off)");
  app.add_option("--create-key", create_key, "create an API key with this name, print it once and exit");
  app.add_option("--role", role, "role of --create-key: viewer, dispatcher or admin")
      ->check(CLI::IsMember({"viewer", "dispatcher", "admin"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!config_file.empty()) {
    // Flags given on the command line win over the file: parse the file into a copy, then
    // re-apply the flags that were given.
    ServerConfig from_file = cfg;
    if (auto st = crema::server::load_config_file(config_file, from_file); !st) return fail(st.error(), 2);
    const ServerConfig flags = cfg;
    cfg = from_file;
    if (!flags.db_path.empty()) cfg.db_path = flags.db_path;
    if (host->count() > 0) cfg.host = flags.host;
    if (port->count() > 0) cfg.port = flags.port;
    if (port_file->count() > 0) cfg.port_file = flags.port_file;
    if (cert->count() > 0) cfg.tls_cert = flags.tls_cert;
    if (key->count() > 0) cfg.tls_key = flags.tls_key;
    if (threads->count() > 0) cfg.threads = flags.threads;
    if (max_body->count() > 0) cfg.max_body_bytes = flags.max_body_bytes;
    if (max_batch->count() > 0) cfg.max_batch = flags.max_batch;
    if (rate->count() > 0) cfg.rate_per_s = flags.rate_per_s;
    if (burst->count() > 0) cfg.rate_burst = flags.rate_burst;
    if (cors->count() > 0) cfg.cors_origin = flags.cors_origin;
  }
  if (cfg.db_path.empty()) {
    std::fprintf(stderr, "crema-server: error: --db is required\n");
    return 2;
  }
  if (!create_key.empty()) {
    auto store = crema::store::Store::open(cfg.db_path);
    if (!store) return fail(store.error());
    auto k = (*store)->add_api_key(create_key, *crema::store::parse_role(role));
    if (!k) return fail(k.error());
    std::printf("%s\n", k->token.c_str());
    std::fprintf(stderr, "crema-server: created %s key %lld '%s'; the token above is shown only once\n", role.c_str(),
                 static_cast<long long>(k->info.id), create_key.c_str());
    return 0;
  }
  if (auto st = crema::server::validate_config(cfg); !st) return fail(st.error(), 2);

  if (pipe(g_signal_pipe) != 0) {
    std::fprintf(stderr, "crema-server: error: cannot create the signal pipe\n");
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto server = crema::server::ApiServer::create(cfg);
  if (!server) return fail(server.error());
  auto bound = (*server)->bind();
  if (!bound) return fail(bound.error());
  const bool tls = !cfg.tls_cert.empty();
  std::fprintf(stderr, "crema-server: listening on %s://%s:%d/ (dashboard at /, API under /v1/)\n",
               tls ? "https" : "http", cfg.host.c_str(), *bound);
  std::thread waiter([&] {
    unsigned char sig = 0;
    while (read(g_signal_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    std::fprintf(stderr, "crema-server: %s received, shutting down\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    (*server)->stop();
  });
  waiter.detach();
  auto st = (*server)->serve();
  if (!st) return fail(st.error());
  std::fprintf(stderr, "crema-server: stopped; the store is committed\n");
  return 0;
}
