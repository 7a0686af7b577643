// xmq-loadgen: the benchmark's c2s load generator (see tests/bench/README.md).
#include <cstdlib>
#include <iostream>
#include <string>

#include "scenarios.hpp"

namespace {

const char* usage =
    "usage: xmq-loadgen SCENARIO [options]\n"
    "scenarios: login | ws-login | idle | msg | msg-sm-mam | resume | hibernated-memory | mam-query |\n"
    "           xmq-any | xmq-all | xmq-any-acked | xmq-any-durable | pep-roster | pep-publish | muc-room |\n"
    "           muc-join | register\n"
    "  --host ADDR --port N --domain D   server (127.0.0.1, 5222, localhost)\n"
    "  --direct-tls                      TLS from the first byte instead of STARTTLS\n"
    "  --raw                             talk to the raw TLS relay (no XMPP)\n"
    "  --threads N                       generator threads (2)\n"
    "  --n N                             logins / sessions / accounts (1000); pep-*: contacts, accounts\n"
    "                                    P<K+1>..P<K+N> of the publisher P<K> (K: --user-offset)\n"
    "  --concurrency N                   logins in progress at once (50)\n"
    "  --users N --user-offset K --user-prefix P --password PW   accounts P<K>..P<K+N-1>\n"
    "  --pairs P --window W --rate R     msg: pairs, window per sender, offered msgs/s (0 = saturate)\n"
    "  --publishers P --consumers C --route R --topic T   xmq scenarios (window: W deliveries in flight per\n"
    "                                    consumer for each publisher; xmq-any-acked/-durable need an acked route)\n"
    "  --duration S --warmup S           measured / warm-up seconds (10 / 2)\n"
    "  --server-pid PID --settle S --hold S   idle: server whose RSS is read\n"
    "  --ws-path PATH                    ws-login: WebSocket endpoint over TLS (/xmpp-websocket)\n"
    "  --ack-every K                     msg-sm-mam: <a/> per K stanzas received, <r/> per K sent (5);\n"
    "                                    xmq-any-acked/-durable: one ack command per K deliveries\n"
    "  --messages K --unacked U          resume: K messages per session before the drop, U left unacked (3, 2)\n"
    "  --archive N --fill-timeout S      mam-query: first send N messages into the archive (0), bound (1800)\n"
    "  --queries K --page M              mam-query: K sequential queries of the last M messages (200, 50)\n"
    "  --fill-timeout S                  pep-roster: bound on the subscription handshake\n"
    "  --items K --rate R --caps-timeout S   pep-publish: K measured publishes, one at a time (R = 0) or R\n"
    "                                    per second (200, 0); bound on the caps warm-up (60)\n"
    "  --room NAME                       muc-*: the room NAME@conference.DOMAIN (bench)\n"
    "  --n N --publishers P --window W   muc-room: N occupants, P of them talking, W messages in flight each\n"
    "  --n N --queries K --history H     muc-join: N joiners, K joins in all, H history messages asked for (50)\n"
    "  --timeout S                       bound on one login (30)\n"
    "  --scram-cache FILE                cache of salted passwords (read and extended)\n";

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << usage;
        return 2;
    }
    loadgen::Options o;
    o.scenario = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "xmq-loadgen: " << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        auto number = [&]() { return std::strtod(value().c_str(), nullptr); };
        auto count = [&]() { return static_cast<unsigned>(std::strtoul(value().c_str(), nullptr, 10)); };
        if (a == "--host") o.target.host = value();
        else if (a == "--port") o.target.port = static_cast<std::uint16_t>(count());
        else if (a == "--domain") o.target.domain = value();
        else if (a == "--direct-tls") o.target.direct_tls = true;
        else if (a == "--raw") o.target.raw = true;
        else if (a == "--threads") o.threads = count();
        else if (a == "--n") o.n = count();
        else if (a == "--concurrency") o.concurrency = count();
        else if (a == "--users") o.users = count();
        else if (a == "--user-offset") o.user_offset = count();
        else if (a == "--user-prefix") o.user_prefix = value();
        else if (a == "--password") o.password = value();
        else if (a == "--pairs") o.pairs = count();
        else if (a == "--window") o.window = count();
        else if (a == "--rate") o.rate = number();
        else if (a == "--duration") o.duration = number();
        else if (a == "--warmup") o.warmup = number();
        else if (a == "--publishers") o.publishers = count();
        else if (a == "--consumers") o.consumers = count();
        else if (a == "--route") o.route = value();
        else if (a == "--topic") o.topic = value();
        else if (a == "--server-pid") o.server_pid = static_cast<int>(count());
        else if (a == "--settle") o.settle = number();
        else if (a == "--hold") o.hold = number();
        else if (a == "--timeout") o.timeout = number();
        else if (a == "--ws-path") o.ws_path = value();
        else if (a == "--scram-cache") o.scram_cache = value();
        else if (a == "--ack-every") o.ack_every = count();
        else if (a == "--messages") o.messages = count();
        else if (a == "--unacked") o.unacked = count();
        else if (a == "--archive") o.archive = count();
        else if (a == "--fill-timeout") o.fill_timeout = number();
        else if (a == "--queries") o.queries = count();
        else if (a == "--page") o.page = count();
        else if (a == "--items") o.items = count();
        else if (a == "--caps-timeout") o.caps_timeout = number();
        else if (a == "--room") o.room = value();
        else if (a == "--history") o.history = count();
        else {
            std::cerr << "xmq-loadgen: unknown option " << a << "\n" << usage;
            return 2;
        }
    }
    if (o.n == 0 || o.window == 0 || o.threads == 0 || o.concurrency == 0 || o.pairs == 0 || o.duration <= 0 ||
        o.ack_every == 0 || o.queries == 0 || o.items == 0 || o.page == 0 || o.unacked > o.messages) {
        std::cerr << "xmq-loadgen: counts and durations must be positive\n";
        return 2;
    }
    if (o.scenario.rfind("pep-", 0) == 0 && o.users == 0) o.users = o.n + 1;  // the publisher and its contacts
    try {
        return loadgen::run_scenario(o);
    } catch (const std::exception& e) {
        std::cerr << "xmq-loadgen: " << e.what() << "\n";
        return 1;
    }
}
