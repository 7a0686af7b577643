// XEP-0227 (PIEFXIS): reading files as ejabberd and Prosody write them,
// refusing malformed ones, writing and reading back, and importing into and
// exporting from a real SQLite store.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "conf/config.hpp"
#include "server/migration/piefxis_document.hpp"
#include "server/migration/piefxis_export.hpp"
#include "server/migration/piefxis_import.hpp"
#include "server/migration/piefxis_reader.hpp"
#include "server/migration/piefxis_writer.hpp"
#include "xmpp/datetime.hpp"
#include "server/store/sqlite/sqlite_archive_store.hpp"
#include "server/store/sqlite/sqlite_blocklist_store.hpp"
#include "server/store/sqlite/sqlite_offline_store.hpp"
#include "server/store/sqlite/sqlite_pubsub_store.hpp"
#include "server/core/pubsub_journal.hpp"
#include "server/store/sqlite/sqlite_roster_store.hpp"
#include "server/store/sqlite/sqlite_account_store.hpp"
#include "server/store/sqlite/sqlite_user_data_store.hpp"
#include "xmpp/serializer.hpp"
#include "tests/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace server::migration;
using xmpp::SubState;

xmpp::Result<PieData, std::string> read_text(std::string_view xml, const fs::path& dir = fs::temp_directory_path()) {
    auto root = load_pie_document(xml, "test.xml", dir);
    if (!root) return xmpp::fail(root.error());
    return read_pie(root.value());
}

std::string error_of(std::string_view xml) {
    auto r = read_text(xml);
    REQUIRE_FALSE(r.ok());
    return r.error();
}

const PieContact* contact(const PieUser& u, std::string_view jid) {
    for (const auto& c : u.contacts)
        if (c.jid == jid) return &c;
    return nullptr;
}

// As ejabberd 23.01 writes a host file with auth_password_format: scram
// (salt and keys base64-encoded twice), trimmed to one user.
constexpr std::string_view ejabberd_user = R"(<?xml version='1.0' encoding='UTF-8'?>
<host xmlns='urn:xmpp:pie:0' xmlns:xi='http://www.w3.org/2001/XInclude' jid='LocalHost'>
<user name='Carol'>
<scram-credentials xmlns='urn:xmpp:pie:0#scram' mechanism='SCRAM-SHA-1'><iter-count>4096</iter-count><salt>aDB3WFdYeHdsRERVVGxiQjAyU29XZz09</salt><server-key>Ti9MemJ3WElFU0xQZXVhYjd6WE02NjhZandvPQ==</server-key><stored-key>NkhEOFM1SUJ5Y1U0S1RFcmJzcVlxZGlvWjM0PQ==</stored-key></scram-credentials>
<offline-messages><message to='carol@localhost' from='bob@localhost/x' type='chat' xmlns='jabber:client'><delay from='localhost' stamp='2026-11-21T09:11:03.095187Z' xmlns='urn:xmpp:delay'>Offline storage</delay><body>first</body></message><message to='carol@localhost' from='bob@localhost/x' type='chat' xmlns='jabber:client'><body>second</body></message></offline-messages>
<query xmlns='jabber:iq:roster'><item subscription='to' name='Bob B.' jid='bob@localhost'><group>Work</group><group>Team</group></item><item subscription='none' ask='subscribe' jid='dave@example.org'/></query>
<presence to='carol@localhost' from='alice@localhost' type='subscribe' xmlns='jabber:client'/>
<presence from='dave@example.org' type='subscribe'/>
<query xmlns='jabber:iq:privacy'><default name='Blocked contacts'/><list name='Blocked contacts'><item value='spam@example.net' type='jid' order='0' action='deny'/><item value='friends' type='group' order='1' action='allow'/></list></query>
<pubsub xmlns='http://jabber.org/protocol/pubsub'/>
</user></host>)";

}  // namespace

TEST_CASE("an ejabberd host file: names normalised, states, SCRAM decoded, offline order, block list") {
    auto data = read_text(ejabberd_user);
    REQUIRE_MESSAGE(data.ok(), (data.ok() ? "" : data.error()));
    REQUIRE(data->hosts.size() == 1);
    CHECK(data->hosts[0].domain == "localhost");
    REQUIRE(data->hosts[0].users.size() == 1);
    const PieUser& carol = data->hosts[0].users[0];
    CHECK(carol.name == "carol");
    CHECK_FALSE(carol.password);

    // ejabberd's twice-encoded credentials, checked against the password.
    REQUIRE(carol.secrets.size() == 1);
    CHECK(carol.secrets[0].hash == auth::ScramHash::sha1);
    CHECK(carol.secrets[0].iterations == 4096);
    CHECK(carol.secrets[0].salt == *auth::base64_decode("h0wXWXxwlDDUTlbB02SoWg=="));
    CHECK(auth::verify_password(carol.secrets[0], "alice-secret-1"));

    const PieContact* bob = contact(carol, "bob@localhost");
    REQUIRE(bob);
    CHECK(bob->state == SubState::to);
    CHECK(bob->name == "Bob B.");
    CHECK(bob->groups == std::vector<std::string>{"Work", "Team"});
    CHECK(bob->in_roster);
    // A request from someone outside the roster: a row kept out of the roster.
    const PieContact* alice = contact(carol, "alice@localhost");
    REQUIRE(alice);
    CHECK(alice->state == SubState::none_pending_in);
    CHECK_FALSE(alice->in_roster);
    // Asked and asked back (Prosody's presence has no jabber:client namespace).
    const PieContact* dave = contact(carol, "dave@example.org");
    REQUIRE(dave);
    CHECK(dave->state == SubState::none_pending_out_in);
    CHECK(dave->in_roster);

    REQUIRE(carol.offline.size() == 2);
    CHECK(carol.offline[0].message.child_text("body") == "first");
    CHECK(carol.offline[0].stamp == xmpp::parse_xep82("2026-11-21T09:11:03Z"));
    CHECK(carol.offline[1].message.child_text("body") == "second");
    CHECK(carol.offline[1].stamp == 0);
    CHECK(carol.offline[1].message.xmlns() == "jabber:client");

    CHECK(carol.blocked == std::vector<std::string>{"spam@example.net"});
    // The group rule has no home here: said so, not silently dropped. The
    // empty PEP element holds no node.
    REQUIRE(data->notes.size() == 1);
    CHECK(data->notes[0].find("privacy list rules") != std::string::npos);
    CHECK(carol.pep.empty());
}

TEST_CASE("Prosody's one-file-per-user output merges into one host") {
    auto a = read_text("<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'><user name='alice' "
                       "password='pw'/></host></server-data>");
    auto b = read_text("<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'><user name='bob'/></host>"
                       "</server-data>");
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    PieData all;
    CHECK_FALSE(merge_pie(all, std::move(a.value())));
    CHECK_FALSE(merge_pie(all, std::move(b.value())));
    REQUIRE(all.hosts.size() == 1);
    CHECK(all.hosts[0].users.size() == 2);
    CHECK(all.hosts[0].users[0].password == "pw");
    auto again = read_text("<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'><user name='bob'/></host>"
                           "</server-data>");
    REQUIRE(again.ok());
    auto err = merge_pie(all, std::move(again.value()));
    REQUIRE(err);
    CHECK(err->find("bob@localhost appears in more than one file") != std::string::npos);
}

TEST_CASE("malformed files are refused with the reason") {
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'>").find("test.xml:1:") == 0);
    CHECK(error_of("<?xml version='1.0'?>\n<!DOCTYPE x [<!ENTITY a 'b'>]>\n<server-data xmlns='urn:xmpp:pie:0'>&a;"
                   "</server-data>")
              .find("DOCTYPE") != std::string::npos);
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'>&lol;</server-data>").find("lol") != std::string::npos);
    CHECK(error_of("<server-data xmlns='urn:other'/>").find("not in the XEP-0227 namespace") != std::string::npos);
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'><host/></server-data>").find("host with no jid") !=
          std::string::npos);
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'><host jid='h'><user name='a@b'/></host></server-data>")
              .find("invalid name 'a@b'") != std::string::npos);
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'><host jid='h'><user name='a'/><user name='A'/></host>"
                   "</server-data>")
              .find("user 'a' appears twice") != std::string::npos);
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'><host jid='h'><user name='a'><query "
                   "xmlns='jabber:iq:roster'><item jid='b@h' subscription='maybe'/></query></user></host>"
                   "</server-data>") == "host 'h', user 'a': roster item b@h: unknown subscription 'maybe'");
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'><host jid='h'><user name='a'><query "
                   "xmlns='jabber:iq:roster'><item name='x'/></query></user></host></server-data>")
              .find("roster item with no jid") != std::string::npos);
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'><host jid='h'><user name='a'><scram-credentials "
                   "xmlns='urn:xmpp:pie:0#scram' mechanism='SCRAM-SHA-256'><iter-count>4096</iter-count>"
                   "<salt>c2FsdA==</salt><server-key>AAAA</server-key><stored-key>AAAA</stored-key>"
                   "</scram-credentials></user></host></server-data>")
              .find("SCRAM-SHA-256 credentials: keys are not 32 bytes") != std::string::npos);
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'><host jid='h'><user name='a'><offline-messages>"
                   "<iq xmlns='jabber:client'/></offline-messages></user></host></server-data>")
              .find("not a message") != std::string::npos);
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0' xmlns:xi='http://www.w3.org/2001/XInclude'>"
                   "<xi:include href='/etc/passwd'/></server-data>")
              .find("only relative file names") != std::string::npos);
}

TEST_CASE("XInclude: ejabberd's main file pulls in its host files") {
    test::TempDir dir;
    std::ofstream(dir.path / "main.xml") << "<?xml version='1.0' encoding='UTF-8'?><server-data "
                                            "xmlns='urn:xmpp:pie:0' xmlns:xi='http://www.w3.org/2001/XInclude'>"
                                            "<xi:include href='main_localhost.xml'/></server-data>";
    std::ofstream(dir.path / "main_localhost.xml") << ejabberd_user;
    auto root = load_pie_file(dir.path / "main.xml");
    REQUIRE_MESSAGE(root.ok(), (root.ok() ? "" : root.error()));
    auto data = read_pie(root.value());
    REQUIRE(data.ok());
    REQUIRE(data->hosts.size() == 1);
    CHECK(data->hosts[0].users[0].name == "carol");

    std::ofstream(dir.path / "loop.xml") << "<server-data xmlns='urn:xmpp:pie:0' "
                                            "xmlns:xi='http://www.w3.org/2001/XInclude'><xi:include "
                                            "href='loop.xml'/></server-data>";
    auto loop = load_pie_file(dir.path / "loop.xml");
    REQUIRE_FALSE(loop.ok());
    CHECK(loop.error().find("nested too deep") != std::string::npos);
}

TEST_CASE("what the writer writes reads back the same") {
    PieUser u;
    u.name = "alice";
    u.secrets = auth::make_scram_secrets("pw", 4096);
    u.contacts.push_back({"bob@h", "Bob <&>", {"Friends", "Ünïcode"}, SubState::from_pending_out, true});
    u.contacts.push_back({"carol@h", "", {}, SubState::to_pending_in, true});
    u.contacts.push_back({"dave@h", "", {}, SubState::none_pending_in, false});
    xmpp::Element vcard("vCard", "vcard-temp");
    vcard.add_child(xmpp::Element("FN", "vcard-temp")).add_text("Alice");
    u.vcard = vcard;
    xmpp::Element prefs("prefs", "urn:example:prefs");
    prefs.set_attr("colour", "blue");
    u.private_xml.push_back(prefs);
    xmpp::Element m("message", "jabber:client");
    m.set_attr("from", "bob@h/r");
    m.add_child(xmpp::Element("body", "jabber:client")).add_text("hi");
    xmpp::Element delay("delay", "urn:xmpp:delay");
    delay.set_attr("stamp", "2026-11-21T09:11:03Z");
    m.add_child(delay);
    u.offline.push_back({m, *xmpp::parse_xep82("2026-11-21T09:11:03Z")});
    u.blocked = {"spam@example.net", "example.com"};

    std::ostringstream out;
    PieWriter w(out);
    w.begin_host("h");
    w.user(u);
    w.end_host();
    CHECK(w.finish());
    auto back = read_text(out.str());
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error()));
    CHECK(back->notes.empty());
    REQUIRE(back->hosts.size() == 1);
    REQUIRE(back->hosts[0].users.size() == 1);
    const PieUser& r = back->hosts[0].users[0];
    CHECK(r.secrets == u.secrets);
    REQUIRE(r.contacts.size() == 3);
    for (const auto& c : u.contacts) {
        const PieContact* rc = contact(r, c.jid);
        REQUIRE(rc);
        CHECK(rc->name == c.name);
        CHECK(rc->groups == c.groups);
        CHECK(rc->state == c.state);
        CHECK(rc->in_roster == c.in_roster);
    }
    REQUIRE(r.vcard);
    CHECK(*r.vcard == *u.vcard);
    REQUIRE(r.private_xml.size() == 1);
    CHECK(r.private_xml[0] == prefs);
    REQUIRE(r.offline.size() == 1);
    CHECK(r.offline[0].message == m);
    CHECK(r.offline[0].stamp == u.offline[0].stamp);
    CHECK(r.blocked == u.blocked);
}

TEST_CASE("import into the store, skip or replace existing users, export what is there") {
    test::TempDir dir;
    auto opened = server::store::Database::open(dir.path);
    REQUIRE(opened.ok());
    auto& db = *opened.value();
    conf::Config config;
    conf::HostConfig served;
    served.domain = "localhost";
    config.hosts = {served};
    auto data = read_text(ejabberd_user);
    REQUIRE(data.ok());
    // A plaintext password and a second host nobody serves.
    auto more = read_text("<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'><user name='bob' "
                          "password='bob-pw'><vCard xmlns='vcard-temp'><FN>Bob</FN></vCard><query "
                          "xmlns='jabber:iq:private'><a xmlns='urn:a'/><b xmlns='urn:b'>x</b></query></user></host>"
                          "<host jid='elsewhere.example'><user name='x'/></host></server-data>");
    REQUIRE(more.ok());
    REQUIRE_FALSE(merge_pie(data.value(), std::move(more.value())));

    ImportOptions options;
    options.now = 1'800'000'000;
    auto counts = import_pie(db, data.value(), config, options);
    REQUIRE_MESSAGE(counts.ok(), (counts.ok() ? "" : counts.error()));
    CHECK(counts->users == 2);
    CHECK(counts->skipped_other_hosts == 1);
    CHECK(counts->contacts == 3);
    CHECK(counts->vcards == 1);
    CHECK(counts->private_documents == 2);
    CHECK(counts->offline_messages == 2);
    CHECK(counts->blocked == 1);

    server::store::SqliteAccountStore accounts(db);
    auto bob = accounts.find("bob", "localhost");
    REQUIRE(bob);
    REQUIRE(bob->secrets.size() == 2);  // both hashes from the password
    for (const auto& s : bob->secrets) CHECK(auth::verify_password(s, "bob-pw"));
    auto carol = accounts.find("carol", "localhost");
    REQUIRE(carol);
    REQUIRE(carol->secrets.size() == 1);  // as the file had them: SHA-1 only
    CHECK(carol->secrets[0].hash == auth::ScramHash::sha1);

    server::store::SqliteRosterStore roster(db);
    auto pending = roster.row("carol", "localhost", "alice@localhost");
    REQUIRE(pending);
    CHECK(pending->state == static_cast<int>(SubState::none_pending_in));
    CHECK_FALSE(pending->in_roster);
    CHECK(roster.roster_size("carol", "localhost") == 2);

    auto offline = server::store::SqliteOfflineStore(db).list("carol", "localhost");
    REQUIRE(offline.size() == 2);
    CHECK(offline[0].xml.find("first") != std::string::npos);
    CHECK(offline[1].xml.find("second") != std::string::npos);
    // The message that came without a delay got one, stamped at import time.
    CHECK(offline[1].xml.find("stamp='2027-01-15T08:00:00Z'") != std::string::npos);

    // Again: existing users are skipped and left as they are.
    auto again = import_pie(db, data.value(), config, options);
    REQUIRE(again.ok());
    CHECK(again->users == 0);
    CHECK(again->skipped_existing == 2);
    CHECK(server::store::SqliteOfflineStore(db).count("carol", "localhost") == 2);
    // --replace: the account is rebuilt from the file, nothing doubled.
    options.replace = true;
    auto replaced = import_pie(db, data.value(), config, options);
    REQUIRE(replaced.ok());
    CHECK(replaced->replaced == 2);
    CHECK(server::store::SqliteOfflineStore(db).count("carol", "localhost") == 2);
    CHECK(roster.roster_size("carol", "localhost") == 2);

    // Export and read back: the same users and data.
    std::ostringstream out;
    auto exported = export_pie(db, {"localhost"}, out);
    REQUIRE(exported.ok());
    CHECK(exported->users == 2);
    auto back = read_text(out.str());
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error()));
    REQUIRE(back->hosts.size() == 1);
    REQUIRE(back->hosts[0].users.size() == 2);
    const PieUser& b = back->hosts[0].users[0];
    CHECK(b.name == "bob");
    CHECK(b.private_xml.size() == 2);
    REQUIRE(b.vcard);
    CHECK(b.vcard->child_text("FN") == "Bob");
    const PieUser& c = back->hosts[0].users[1];
    CHECK(c.name == "carol");
    CHECK(c.secrets == carol->secrets);
    CHECK(c.offline.size() == 2);
    CHECK(c.blocked == std::vector<std::string>{"spam@example.net"});
    const PieContact* dave = contact(c, "dave@example.org");
    REQUIRE(dave);
    CHECK(dave->state == SubState::none_pending_out_in);
}

TEST_CASE("XEP-0227 archives: read, imported with their ids, stamps and preferences, exported the same") {
    test::TempDir dir;
    auto opened = server::store::Database::open(dir.path);
    REQUIRE(opened.ok());
    auto& db = *opened.value();
    conf::Config config;
    conf::HostConfig served;
    served.domain = "localhost";
    config.hosts = {served};
    auto data = read_text(
        "<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'><user name='alice' password='pw'>"
        "<archive xmlns='urn:xmpp:pie:0#mam'>"
        "<prefs xmlns='urn:xmpp:mam:2' default='roster'><always><jid>bob@localhost</jid></always><never/></prefs>"
        "<result xmlns='urn:xmpp:mam:2' id='a1'><forwarded xmlns='urn:xmpp:forward:0'>"
        "<delay xmlns='urn:xmpp:delay' stamp='2024-01-02T03:04:05.123456Z'/>"
        "<message xmlns='jabber:client' from='bob@localhost/phone' to='alice@localhost' type='chat'>"
        "<body>in</body></message></forwarded></result>"
        "<result xmlns='urn:xmpp:mam:2' id='a2'><forwarded xmlns='urn:xmpp:forward:0'>"
        "<delay xmlns='urn:xmpp:delay' stamp='2024-01-02T03:05:00Z'/>"
        "<message xmlns='jabber:client' from='alice@localhost/pc' to='bob@localhost' type='chat'>"
        "<body>out</body></message></forwarded></result>"
        "</archive></user></host></server-data>");
    REQUIRE_MESSAGE(data.ok(), (data.ok() ? "" : data.error()));
    REQUIRE(data->hosts[0].users[0].archive.size() == 2);
    CHECK(data->notes.empty());

    ImportOptions options;
    options.now = 1'800'000'000;
    auto counts = import_pie(db, data.value(), config, options);
    REQUIRE_MESSAGE(counts.ok(), (counts.ok() ? "" : counts.error()));
    CHECK(counts->archived_messages == 2);
    server::store::SqliteArchiveStore archive(db);
    auto rows = archive.all("alice", "localhost");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].id == "a1");
    CHECK(rows[0].with_bare == "bob@localhost");
    CHECK(rows[0].with_resource == "phone");
    CHECK(rows[0].stamp_us == *xmpp::parse_xep82("2024-01-02T03:04:05Z") * 1000000 + 123456);
    CHECK(rows[1].with_bare == "bob@localhost");  // outgoing: the other party is 'to'
    bool ok = false;
    auto prefs = archive.prefs("alice", "localhost", ok);
    REQUIRE(prefs);
    CHECK(prefs->default_mode == "roster");
    CHECK(prefs->always == std::vector<std::string>{"bob@localhost"});

    std::ostringstream out;
    auto exported = export_pie(db, {"localhost"}, out);
    REQUIRE(exported.ok());
    CHECK(exported->archived_messages == 2);
    auto back = read_text(out.str());
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error()));
    const PieUser& a = back->hosts[0].users[0];
    REQUIRE(a.archive.size() == 2);
    CHECK(a.archive[0].id == "a1");
    CHECK(a.archive[0].stamp_us == rows[0].stamp_us);
    CHECK(a.archive[1].message.child_text("body") == "out");
    REQUIRE(a.archive_prefs);
    CHECK(a.archive_prefs->default_mode == "roster");

    // A result without its message is refused.
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'><user name='x'>"
                   "<archive xmlns='urn:xmpp:pie:0#mam'><result xmlns='urn:xmpp:mam:2' id='z'/></archive>"
                   "</user></host></server-data>")
              .find("without a forwarded message") != std::string::npos);
}

// PEP as Prosody writes it (mod_storage_xep0227): the configuration of each
// node in pubsub#owner, its items in pubsub; with one node only configured,
// one only with items, and what xmqd cannot keep.
constexpr std::string_view pep_user = R"(<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'>
<user name='alice'>
<pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>
<configure node='urn:xmpp:avatar:metadata'><x xmlns='jabber:x:data' type='submit'>
<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>
<field var='pubsub#access_model'><value>open</value></field><field var='pubsub#max_items'><value>2</value></field>
<field var='pubsub#notification_type'><value>headline</value></field></x></configure>
<configure node='eu.siacs.conversations.axolotl.devicelist'><x xmlns='jabber:x:data' type='submit'>
<field var='pubsub#access_model'><value>authorize</value></field></x></configure>
<configure node='urn:xmpp:bookmarks:1'><x xmlns='jabber:x:data' type='form'>
<field var='pubsub#access_model'><value>whitelist</value></field>
<field var='pubsub#max_items'><value>max</value></field></x></configure>
<affiliations node='urn:xmpp:avatar:metadata'><affiliation jid='alice@localhost' affiliation='owner'/>
<affiliation jid='bob@localhost' affiliation='publisher'/><affiliation jid='eve@localhost' affiliation='owner'/></affiliations>
<subscriptions node='urn:xmpp:avatar:metadata'><subscription jid='carol@localhost/phone' subscription='subscribed'/>
<subscription jid='dave@localhost' subscription='pending'/></subscriptions>
</pubsub>
<pubsub xmlns='http://jabber.org/protocol/pubsub'>
<items node='urn:xmpp:avatar:metadata'>
<item id='h1' publisher='alice@localhost/pc'><metadata xmlns='urn:xmpp:avatar:metadata'><info id='h1' bytes='10'/></metadata></item>
<item id='h2'><metadata xmlns='urn:xmpp:avatar:metadata'><info id='h2' bytes='20'/></metadata></item>
<item id='h3'><metadata xmlns='urn:xmpp:avatar:metadata'><info id='h3' bytes='30'/></metadata></item>
</items>
<items node='http://jabber.org/protocol/mood'><item id='m1'><mood xmlns='http://jabber.org/protocol/mood'><happy/></mood></item>
<item id='m2'/></items>
<items node='urn:xmpp:bookmarks:1'><item id='room@muc.localhost'><conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'/></item></items>
</pubsub>
</user></host></server-data>)";

TEST_CASE("XEP-0227 PEP: read as Prosody writes it, imported, exported, read back the same; deleted with the account") {
    auto data = read_text(pep_user);
    REQUIRE_MESSAGE(data.ok(), (data.ok() ? "" : data.error()));
    const PieUser& alice = data->hosts[0].users[0];
    REQUIRE(alice.pep.size() == 4);  // by name
    const PiePepNode& devices = alice.pep[0];
    const PiePepNode& mood = alice.pep[1];
    const PiePepNode& avatar = alice.pep[2];
    const PiePepNode& bookmarks = alice.pep[3];
    CHECK(devices.name == "eu.siacs.conversations.axolotl.devicelist");
    CHECK(devices.config == pubsub::NodeConfig{});  // 'authorize' is not kept: the defaults, and a note
    CHECK(mood.name == "http://jabber.org/protocol/mood");
    CHECK(mood.config.max_items == std::optional<std::size_t>{2});  // not configured: keeps its items
    REQUIRE(mood.items.size() == 2);
    CHECK(mood.items[0].publisher == "alice@localhost");
    CHECK_FALSE(mood.items[1].payload);
    CHECK(avatar.config.access_model == pubsub::AccessModel::open);
    CHECK(avatar.config.max_items == std::optional<std::size_t>{2});
    CHECK(avatar.affiliations == std::vector<std::pair<std::string, std::string>>{{"bob@localhost", "publisher"}});
    CHECK(avatar.subscribers == std::vector<std::string>{"carol@localhost/phone"});
    REQUIRE(avatar.items.size() == 3);
    CHECK(avatar.items[0].id == "h1");
    CHECK(avatar.items[0].publisher == "alice@localhost");  // the bare JID
    CHECK(bookmarks.config.access_model == pubsub::AccessModel::whitelist);
    CHECK(bookmarks.config.max_items == std::nullopt);
    std::string notes;
    for (const auto& n : data->notes) notes += n + "\n";
    CHECK(notes.find("PEP node configurations") != std::string::npos);
    CHECK(notes.find("PEP affiliations") != std::string::npos);  // eve as owner
    CHECK(notes.find("PEP subscriptions") != std::string::npos);  // dave pending
    CHECK(notes.find("pubsub'/>") == std::string::npos);          // nothing of it "not imported" as a whole

    test::TempDir dir;
    auto opened = server::store::Database::open(dir.path);
    REQUIRE(opened.ok());
    auto& db = *opened.value();
    conf::Config config;
    conf::HostConfig served;
    served.domain = "localhost";
    config.hosts = {served};
    ImportOptions options;
    options.now = 1'800'000'000;
    auto counts = import_pie(db, data.value(), config, options);
    REQUIRE_MESSAGE(counts.ok(), (counts.ok() ? "" : counts.error()));
    CHECK(counts->pep_nodes == 4);
    CHECK(counts->pep_items == 5);  // h1 is beyond the avatar node's max_items 2

    // What the store holds restores into a PEP Service as the file said.
    auto rows = server::store::SqlitePubsubStore(db).load("alice", "localhost", {});
    REQUIRE(rows.has_value());
    REQUIRE(rows->size() == 4);
    CHECK(rows->at(2).items.front().stamp_us == 1'800'000'000'000'000);
    auto node = server::node_from_row(rows->at(2));
    REQUIRE(node);
    CHECK(node->config == avatar.config);
    CHECK(node->items.back().payload == avatar.items.back().payload);
    REQUIRE(node->items.size() == 2);
    CHECK(node->items.front().id == "h2");

    std::ostringstream out;
    auto exported = export_pie(db, {"localhost"}, out);
    REQUIRE(exported.ok());
    CHECK(exported->pep_nodes == 4);
    CHECK(exported->pep_items == 5);
    auto back = read_text(out.str());
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error()));
    CHECK(back->notes.empty());
    const PieUser& again = back->hosts[0].users[0];
    REQUIRE(again.pep.size() == alice.pep.size());
    PieUser expected = alice;
    expected.pep[2].items.erase(expected.pep[2].items.begin());  // h1, not kept
    for (std::size_t i = 0; i < alice.pep.size(); ++i) {
        CAPTURE(expected.pep[i].name);
        CHECK(again.pep[i].name == expected.pep[i].name);
        CHECK(again.pep[i].config == expected.pep[i].config);
        CHECK(again.pep[i].affiliations == expected.pep[i].affiliations);
        CHECK(again.pep[i].subscribers == expected.pep[i].subscribers);
        REQUIRE(again.pep[i].items.size() == expected.pep[i].items.size());
        for (std::size_t j = 0; j < expected.pep[i].items.size(); ++j) {
            CHECK(again.pep[i].items[j].id == expected.pep[i].items[j].id);
            CHECK(again.pep[i].items[j].publisher == expected.pep[i].items[j].publisher);
            CHECK(again.pep[i].items[j].payload == expected.pep[i].items[j].payload);
        }
    }

    // Replacing the account replaces its PEP too; a node or item without a
    // name is refused.
    options.replace = true;
    REQUIRE(import_pie(db, data.value(), config, options).ok());
    CHECK(server::store::SqlitePubsubStore(db).load("alice", "localhost", {})->size() == 4);
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'><user name='x'>"
                   "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items><item id='1'/></items></pubsub>"
                   "</user></host></server-data>")
              .find("without a node") != std::string::npos);
    CHECK(error_of("<server-data xmlns='urn:xmpp:pie:0'><host jid='localhost'><user name='x'>"
                   "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'><item/></items></pubsub>"
                   "</user></host></server-data>")
              .find("without id") != std::string::npos);
}

TEST_CASE("a Batch commits all or nothing; store calls inside it nest") {
    test::TempDir dir;
    auto opened = server::store::Database::open(dir.path);
    REQUIRE(opened.ok());
    auto& db = *opened.value();
    server::store::SqliteAccountStore accounts(db);
    {
        server::store::Database::Batch batch(db);
        REQUIRE(batch.begun());
        CHECK(accounts.create({"a", "h", {}}) == auth::StoreStatus::ok);
        CHECK(accounts.create({"a", "h", {}}) == auth::StoreStatus::exists);  // its savepoint rolled back
        CHECK(accounts.create({"b", "h", {}}) == auth::StoreStatus::ok);
        CHECK(accounts.find("a", "h"));
        // No commit: both go.
    }
    CHECK_FALSE(accounts.find("a", "h"));
    CHECK_FALSE(accounts.find("b", "h"));
    {
        server::store::Database::Batch batch(db);
        CHECK(accounts.create({"a", "h", {}}) == auth::StoreStatus::ok);
        CHECK(batch.commit());
    }
    CHECK(accounts.find("a", "h"));
    CHECK(accounts.create({"c", "h", {}}) == auth::StoreStatus::ok);  // outside a batch as before
}
