// Module "http_upload" (XEP-0363), through a session: upload.localhost is
// listed and described as the XEP says, a slot request gets signed URLs on
// the https listener that the HTTP side accepts, the errors are the XEP's;
// the module offers nothing without an HTTP listener; an account's files go
// with it.
#include <doctest/doctest.h>

#include "../../temp_dir.hpp"
#include "conversation.hpp"
#include "server/modules/http_upload_service.hpp"
#include "xmpp/datetime.hpp"

namespace http_upload_test {

using test::Client;
using test::disco_features;
using test::error_condition;

const std::string disco_info = "<query xmlns='http://jabber.org/protocol/disco#info'/>";
const std::string disco_items = "<query xmlns='http://jabber.org/protocol/disco#items'/>";

conf::Config with_https(const std::filesystem::path& data_dir) {
    conf::Config config = conf::default_config();
    config.data_dir = data_dir.string();
    // The default listeners: http on 5280, https on 5443; the URLs name the https one.
    config.modules.options["http_upload"] = {{"max_file_size", 1000}, {"quota_per_account", 1500}};
    return config;
}

std::string slot_request(std::string_view filename, std::uint64_t size, std::string_view type = "text/plain") {
    return "<request xmlns='urn:xmpp:http:upload:0' filename='" + std::string(filename) + "' size='" +
           std::to_string(size) + "' content-type='" + std::string(type) + "'/>";
}

bool has(const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<std::string> item_jids(const xmpp::Element& result) {
    std::vector<std::string> jids;
    if (const xmpp::Element* query = result.child("query", "http://jabber.org/protocol/disco#items"))
        for (const auto& child : query->children())
            if (!child.is_text()) jids.push_back(std::string(child.attr_or("jid")));
    return jids;
}

TEST_CASE("http_upload: no HTTP listener, no service") {
    test::TempDir dir;
    conf::Config config = conf::default_config();
    config.data_dir = dir.path.string();
    std::erase_if(config.listeners, [](const conf::ListenerConfig& l) {
        return l.kind == conf::ListenerKind::http || l.kind == conf::ListenerKind::https;
    });
    test::C2sHarness h(config);
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK_FALSE(has(item_jids(juliet.iq("get", disco_items, "localhost")), "upload.localhost"));
    CHECK(h.parts->modules.find_shared<server::upload::UploadService>() == nullptr);
    CHECK_FALSE(std::filesystem::exists(dir.path / "upload"));
}

TEST_CASE("http_upload: the service is listed and described") {
    test::TempDir dir;
    test::C2sHarness h(with_https(dir.path));
    Client juliet(h, "juliet", "r0meo", "balcony");
    CHECK(has(item_jids(juliet.iq("get", disco_items, "localhost")), "upload.localhost"));
    const xmpp::Element info = juliet.iq("get", disco_info, "upload.localhost");
    REQUIRE(info.attr_or("type") == "result");
    CHECK(has(disco_features(info), "urn:xmpp:http:upload:0"));
    const xmpp::Element* identity = info.child("query")->child("identity");
    REQUIRE(identity != nullptr);
    CHECK(identity->attr_or("category") == "store");
    CHECK(identity->attr_or("type") == "file");
    const xmpp::Element* form = info.child("query")->child("x", "jabber:x:data");
    REQUIRE(form != nullptr);
    bool told = false;
    for (const auto& field : form->children())
        if (field.attr_or("var") == "max-file-size") told = field.child_text("value") == "1000";
    CHECK(told);
    CHECK(std::filesystem::exists(dir.path / "upload" / "secret"));
}

TEST_CASE("http_upload: a slot with signed URLs on the https listener") {
    test::TempDir dir;
    test::C2sHarness h(with_https(dir.path));
    Client juliet(h, "juliet", "r0meo", "balcony");
    const xmpp::Element answer = juliet.iq("get", slot_request("très cool.txt", 700), "upload.localhost");
    REQUIRE(answer.attr_or("type") == "result");
    const xmpp::Element* slot = answer.child("slot", "urn:xmpp:http:upload:0");
    REQUIRE(slot != nullptr);
    const std::string put = std::string(slot->child("put")->attr_or("url"));
    const std::string get = std::string(slot->child("get")->attr_or("url"));
    const std::string base = "https://localhost:5443";
    REQUIRE(put.starts_with(base + "/upload/"));
    REQUIRE(get.starts_with(base + "/upload/"));
    CHECK(get.ends_with("/tr%C3%A8s%20cool.txt"));
    CHECK(put.starts_with(get + "?"));
    auto service = h.parts->modules.find_shared<server::upload::UploadService>();
    REQUIRE(service != nullptr);
    const auto verified = service->signer().verify_put(put.substr(base.size()), xmpp::unix_seconds_now());
    REQUIRE(verified.ok());
    CHECK(verified->owner == "juliet@localhost");
    CHECK(verified->size == 700);
    CHECK(verified->content_type == "text/plain");
    CHECK(verified->expires > xmpp::unix_seconds_now() + 250);
    // Two slots for one name are two files.
    const xmpp::Element again = juliet.iq("get", slot_request("très cool.txt", 700), "upload.localhost");
    CHECK(std::string(again.child("slot")->child("get")->attr_or("url")) != get);
}

TEST_CASE("http_upload: too large, bad names, quota") {
    test::TempDir dir;
    test::C2sHarness h(with_https(dir.path));
    Client juliet(h, "juliet", "r0meo", "balcony");
    const xmpp::Element big = juliet.iq("get", slot_request("a.bin", 1001), "upload.localhost");
    CHECK(error_condition(big) == "not-acceptable");
    REQUIRE(big.child("error")->child("file-too-large", "urn:xmpp:http:upload:0") != nullptr);
    CHECK(big.child("error")->child("file-too-large")->child_text("max-file-size") == "1000");
    CHECK(error_condition(juliet.iq("get", slot_request("a/b", 10), "upload.localhost")) == "not-acceptable");
    CHECK(error_condition(juliet.iq("get", "<request xmlns='urn:xmpp:http:upload:0' size='1'/>", "upload.localhost")) ==
          "bad-request");
    // 1500 bytes per account: a stored file of 1000 leaves room for 500.
    auto service = h.parts->modules.find_shared<server::upload::UploadService>();
    server::upload::Slot stored{server::upload::random_id(), "a.bin", 1000, "", "juliet@localhost", 0};
    auto upload = service->files().begin(stored, "application/octet-stream", service->settings().limits);
    REQUIRE(upload.ok());
    REQUIRE(upload.value()->write(std::string(1000, 'x').data(), 1000));
    REQUIRE(upload.value()->commit(xmpp::unix_seconds_now()));
    CHECK(juliet.iq("get", slot_request("b.bin", 500), "upload.localhost").attr_or("type") == "result");
    const xmpp::Element full = juliet.iq("get", slot_request("c.bin", 501), "upload.localhost");
    CHECK(error_condition(full) == "resource-constraint");
    CHECK(full.child("error")->attr_or("type") == "wait");
    // Other stanzas to the service.
    CHECK(error_condition(juliet.iq("set", slot_request("d.bin", 1), "upload.localhost")) == "service-unavailable");
    CHECK(error_condition(juliet.iq("get", slot_request("d.bin", 1), "someone@upload.localhost")) ==
          "service-unavailable");
    // The account goes, its files with it.
    for (const auto& removed : h.parts->modules.hooks().account_removed) removed(*xmpp::Jid::parse("juliet@localhost"));
    CHECK(service->files().usage().files == 0);
    CHECK(service->files().account_bytes("juliet@localhost") == 0);
}

}  // namespace http_upload_test
