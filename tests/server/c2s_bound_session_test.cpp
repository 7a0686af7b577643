// BoundSession apart from its connection, over the in-memory transport: the
// hooks stream management (XEP-0198) will use. A session detaches, is sent
// stanzas while detached, attaches to another connection (on the same worker
// or on another) and writes what it held there, in order; it counts the
// stanzas it handled and wrote, and keeps the unacknowledged ones.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>

#include "c2s_harness.hpp"
#include "server/c2s/bound_session.hpp"
#include "server/c2s/stream_connection.hpp"

// A named namespace: the unity build puts several test files in one unit.
namespace c2s_bound_session_test {

using server::BoundSession;
using server::StreamConnection;
using test::C2sHarness;
using test::MemoryPipe;

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

std::shared_ptr<BoundSession> session_of(C2sHarness& h, std::string_view full) {
    auto session = std::dynamic_pointer_cast<BoundSession>(h.sessions.find(*xmpp::Jid::parse(full)));
    REQUIRE(session);
    return session;
}

std::string message(int n) {
    const std::string id = std::to_string(n);
    return "<message type='chat' id='m" + id + "'><body>" + id + "</body></message>";
}

// What a resumed stream's negotiation will do once bound: hand its
// stanzas to the session, and tell it when the connection closed.
struct ForwardToSession final : StreamConnection::Handler {
    std::shared_ptr<BoundSession> session;
    StreamConnection* connection = nullptr;

    boost::asio::awaitable<void> on_stream_open(const xmpp::StreamHeader&) override { co_return; }
    boost::asio::awaitable<void> on_element(xmpp::Element&& element) override {
        co_await session->handle_inbound(*connection, std::move(element));
    }
    void on_closed() override { session->connection_closed(*connection); }
};

// A new connection over `pipe` on `ctx`, started, not attached yet.
std::shared_ptr<StreamConnection> new_connection(C2sHarness& h, boost::asio::io_context& ctx,
                                                 const std::shared_ptr<MemoryPipe>& pipe,
                                                 const std::shared_ptr<BoundSession>& session) {
    auto connection = std::make_shared<StreamConnection>(ctx.get_executor(),
                                                         std::make_unique<test::MemoryTransport>(pipe),
                                                         h.services.current_config()->limits, "localhost");
    auto handler = std::make_shared<ForwardToSession>();
    handler->session = session;
    handler->connection = connection.get();
    connection->start(handler, false);
    return connection;
}

// Runs session->attach(connection) on the connection's worker `ctx`; its
// answer goes to `result`.
void start_attach(boost::asio::io_context& ctx, const std::shared_ptr<BoundSession>& session,
                                 const std::shared_ptr<StreamConnection>& connection,
                                 std::shared_ptr<std::optional<bool>> result) {
    boost::asio::co_spawn(ctx, session->attach(*connection), [result](std::exception_ptr e, bool attached) {
        REQUIRE_FALSE(e);
        *result = attached;
    });
}


TEST_CASE("bound session: detached, it holds what it is sent; attached again, it writes that in order") {
    C2sHarness h;
    h.accounts.create({"romeo", "localhost", auth::make_scram_secrets("juli3t", 4096)});
    auto romeo = h.login("romeo", "juli3t", "garden");
    auto old = h.login("juliet", "r0meo", "balcony");
    auto session = session_of(h, "juliet@localhost/balcony");
    CHECK(session->attached());

    session->detach();
    h.settle();
    CHECK(old->closed);
    CHECK_FALSE(session->attached());
    CHECK(h.sessions.size() == 2);  // still bound: the router still delivers to it

    old->output.clear();
    h.say(*romeo, "<message to='juliet@localhost/balcony' type='chat' id='r1'><body>one</body></message>");
    session->deliver(message(2), server::Undelivered::to_offline);
    h.say(*romeo, "<message to='juliet@localhost/balcony' type='chat' id='r3'><body>three</body></message>");
    CHECK(session->held() == 3);
    CHECK(old->output.empty());

    auto pipe = std::make_shared<MemoryPipe>(h.ctx);
    pipe->secure = true;
    auto connection = new_connection(h, h.ctx, pipe, session);
    auto attached = std::make_shared<std::optional<bool>>();
    start_attach(h.ctx, session, connection, attached);
    h.settle();
    CHECK(*attached == true);
    CHECK(session->attached());
    CHECK(session->held() == 0);
    const auto one = pipe->output.find("<body>one</body>");
    const auto two = pipe->output.find("<body>2</body>");
    const auto three = pipe->output.find("<body>three</body>");
    REQUIRE(one != std::string::npos);
    REQUIRE(two != std::string::npos);
    REQUIRE(three != std::string::npos);
    CHECK(one < two);
    CHECK(two < three);
    CHECK(session->is_encrypted());

    // The new connection carries the session both ways.
    pipe->output.clear();
    h.say(*pipe, C2sHarness::open_stream());
    h.say(*pipe, "<message to='romeo@localhost/garden' type='chat'><body>back</body></message>");
    CHECK(contains(romeo->output, "from='juliet@localhost/balcony'"));
    CHECK(contains(romeo->output, "<body>back</body>"));
    CHECK(session->stanzas_handled() == 1);

    // Its end is the session's end.
    pipe->hang_up();
    h.settle();
    CHECK(h.sessions.size() == 1);
}

TEST_CASE("bound session: counts stanzas handled and written; keeps the unacknowledged ones and resends them") {
    C2sHarness h;
    auto old = h.login("juliet", "r0meo", "balcony");
    auto session = session_of(h, "juliet@localhost/balcony");
    CHECK(session->stanzas_handled() == 0);  // the bind is negotiation, not a stanza of the session
    CHECK(session->stanzas_written() == 0);

    h.say(*old, "<presence/>");
    h.say(*old, "<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    CHECK(session->stanzas_handled() == 2);
    const std::uint32_t written = session->stanzas_written();
    CHECK(written >= 1);  // the pong, and whatever the presence brought

    session->keep_unacknowledged();
    for (int n = 1; n <= 3; ++n) session->deliver(message(n), server::Undelivered::to_offline);
    h.settle();
    CHECK(session->stanzas_written() == written + 3);
    CHECK(session->held() == 3);
    CHECK(session->acknowledge(written + 1));
    CHECK(session->held() == 2);
    CHECK_FALSE(session->acknowledge(written + 4));  // ahead of what was written
    CHECK(session->held() == 2);

    session->detach();
    session->deliver(message(4), server::Undelivered::to_offline);
    h.settle();
    CHECK(session->held() == 3);
    CHECK(session->stanzas_written() == written + 3);

    auto pipe = std::make_shared<MemoryPipe>(h.ctx);
    auto connection = new_connection(h, h.ctx, pipe, session);
    auto attached = std::make_shared<std::optional<bool>>();
    start_attach(h.ctx, session, connection, attached);
    h.settle();
    CHECK(pipe->output == message(2) + message(3) + message(4));
    CHECK(session->stanzas_written() == written + 4);  // the resent ones keep their numbers
    CHECK(session->held() == 3);
    CHECK(session->acknowledge(written + 4));
    CHECK(session->held() == 0);
    CHECK_FALSE(session->is_encrypted());
}

TEST_CASE("bound session: a detached session closed ends, its held messages handed to offline storage") {
    C2sHarness h;
    std::vector<std::string> handed;
    h.parts->modules.hooks().unwritten_messages.push_back(
        [&](const std::vector<std::string>& messages, const xmpp::Jid& bare) {
            CHECK(bare.full() == "juliet@localhost");
            handed.insert(handed.end(), messages.begin(), messages.end());
        });
    auto old = h.login("juliet", "r0meo", "balcony");
    auto session = session_of(h, "juliet@localhost/balcony");
    session->detach();
    session->deliver(message(1), server::Undelivered::to_offline);
    session->deliver("<presence from='romeo@localhost/garden'/>", server::Undelivered::drop);
    h.settle();
    CHECK(session->held() == 2);

    session->close_with(xmpp::StreamError::conflict, "Replaced by new connection");
    h.settle();
    CHECK(h.sessions.size() == 0);
    CHECK(handed == std::vector<std::string>{message(1)});

    session->deliver(message(2), server::Undelivered::to_offline);  // after its end: straight to storage
    h.settle();
    CHECK(handed == std::vector<std::string>{message(1), message(2)});
    auto pipe = std::make_shared<MemoryPipe>(h.ctx);
    auto attached = std::make_shared<std::optional<bool>>();
    start_attach(h.ctx, session, new_connection(h, h.ctx, pipe, session), attached);
    h.settle();
    CHECK(*attached == false);  // nothing left to resume
}

TEST_CASE("bound session: a message the old connection never wrote goes to offline storage once it closed") {
    C2sHarness h;
    std::vector<std::string> handed;
    h.parts->modules.hooks().unwritten_messages.push_back(
        [&](const std::vector<std::string>& messages, const xmpp::Jid&) {
            handed.insert(handed.end(), messages.begin(), messages.end());
        });
    auto old = h.login("juliet", "r0meo", "balcony");
    auto session = session_of(h, "juliet@localhost/balcony");
    old->stall_writes = true;
    session->deliver(message(1), server::Undelivered::to_offline);
    h.settle();
    session->detach();
    h.settle();
    CHECK(handed == std::vector<std::string>{message(1)});
    CHECK(h.sessions.size() == 1);  // the session itself lives on
}

TEST_CASE("bound session: attached to a connection on another worker, it moves there; deliveries keep their order") {
    C2sHarness h;
    auto old = h.login("juliet", "r0meo", "balcony");
    auto session = session_of(h, "juliet@localhost/balcony");
    session->detach();
    h.settle();

    boost::asio::io_context other{1};
    auto pipe = std::make_shared<MemoryPipe>(other);
    auto connection = new_connection(h, other, pipe, session);
    auto run_both = [&] {
        for (int round = 0; round < 100; ++round) {
            h.settle();
            other.restart();
            if (other.poll() == 0 && h.ctx.poll() == 0) return;
        }
        FAIL("the workers never settled");
    };

    session->deliver(message(1), server::Undelivered::drop);  // from a third thread: posted to the old worker
    auto attached = std::make_shared<std::optional<bool>>();
    start_attach(other, session, connection, attached);
    other.restart();
    other.poll();  // the attach asks the old worker to let the session go
    session->deliver(message(2), server::Undelivered::drop);
    run_both();
    CHECK(*attached == true);
    session->deliver(message(3), server::Undelivered::drop);
    run_both();
    CHECK(pipe->output == message(1) + message(2) + message(3));

    pipe->hang_up();
    run_both();
    CHECK(h.sessions.size() == 0);
}

}  // namespace c2s_bound_session_test
