// make_sasldb DB USER PASSWORD [USER PASSWORD ...]: writes Cyrus SASL users
// into the sasldb file DB, as `saslpasswd2 -f DB -a memcached` would (Debian's
// image lacks saslpasswd2). The SASL tests use it to give real memcached 1.6.18
// -- built with Cyrus SASL, not with memcached's sasl-pwdb -- the same users
// memkit-server reads from MEMCACHED_SASL_PWDB.

#include <sasl/sasl.h>

#include <cstdio>
#include <cstring>

namespace {

const char* g_db_path = nullptr;

// Cyrus asks its options through this callback; only the sasldb path is ours.
int GetOption(void* context, const char* plugin, const char* option, const char** result,
              unsigned* len) {
  (void)context, (void)plugin;
  if (std::strcmp(option, "sasldb_path") != 0) return SASL_FAIL;
  *result = g_db_path;
  if (len != nullptr) *len = static_cast<unsigned>(std::strlen(g_db_path));
  return SASL_OK;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc % 2 != 0) {
    std::fprintf(stderr, "usage: make_sasldb DB USER PASSWORD [USER PASSWORD ...]\n");
    return 2;
  }
  g_db_path = argv[1];
  sasl_callback_t callbacks[] = {
      // Cyrus' generic callback type; void(*)() is the cast GCC lets through.
      {SASL_CB_GETOPT, reinterpret_cast<int (*)()>(reinterpret_cast<void (*)()>(&GetOption)),
       nullptr},
      {SASL_CB_LIST_END, nullptr, nullptr}};
  int r = sasl_server_init(callbacks, "memcached");
  if (r != SASL_OK) {
    std::fprintf(stderr, "sasl_server_init: %s\n", sasl_errstring(r, nullptr, nullptr));
    return 1;
  }
  sasl_conn_t* conn = nullptr;
  r = sasl_server_new("memcached", nullptr, nullptr, nullptr, nullptr, nullptr, 0, &conn);
  if (r != SASL_OK) {
    std::fprintf(stderr, "sasl_server_new: %s\n", sasl_errstring(r, nullptr, nullptr));
    return 1;
  }
  for (int i = 2; i + 1 < argc; i += 2) {
    r = sasl_setpass(conn, argv[i], argv[i + 1], static_cast<unsigned>(std::strlen(argv[i + 1])),
                     nullptr, 0, SASL_SET_CREATE);
    if (r != SASL_OK) {
      std::fprintf(stderr, "sasl_setpass %s: %s\n", argv[i], sasl_errdetail(conn));
      return 1;
    }
  }
  sasl_dispose(&conn);
  sasl_done();
  return 0;
}
