#include <doctest/doctest.h>

#include <libxml/parser.h>
#include <libxml/xmlmemory.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "xmpp/serializer.hpp"
#include "xmpp/stream_parser.hpp"

using namespace xmpp;

namespace {

const std::string kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' from='juliet@example.com' "
    "id='s1' version='1.0' xml:lang='en'>";

struct Recorder : StreamHandler {
    std::vector<std::string> events;
    std::vector<Element> stanzas;
    StreamHeader header;
    std::optional<StreamError> error;
    std::function<void(Element&)> on_stanza_hook;

    void on_stream_open(const StreamHeader& h) override {
        header = h;
        events.push_back("open");
    }
    void on_stanza(Element&& e) override {
        events.push_back("stanza:" + to_string(e));
        stanzas.push_back(e);
        if (on_stanza_hook) on_stanza_hook(stanzas.back());
    }
    void on_stream_close() override { events.push_back("close"); }
    void on_stream_error(StreamError c, std::string_view text) override {
        error = c;
        events.push_back("error:" + std::string(xmpp::to_string(c)) + ":" + std::string(text));
    }
};

// Feeds `xml` in one chunk; returns the recorder.
struct Run {
    Recorder rec;
    StreamParser parser;
    bool ok;
    explicit Run(const std::string& xml, ParserLimits limits = {}) : parser(rec, limits) {
        ok = parser.feed(xml);
    }
};

StreamError error_of(const std::string& xml, ParserLimits limits = {}) {
    Run r(xml, limits);
    CHECK_FALSE(r.ok);
    REQUIRE(r.rec.error);
    return *r.rec.error;
}

// libxml2 allocation accounting, to show that the parser does not buffer
// past its limits. Installed once for the whole test binary; every
// allocation still goes to malloc.
struct XmlMemory {
    static inline long long current = 0;
    static inline long long peak = 0;
    static void* do_malloc(size_t n) {
        void* p = std::malloc(n);
        if (p) add(static_cast<long long>(malloc_usable_size(p)));
        return p;
    }
    static void do_free(void* p) {
        if (p) current -= static_cast<long long>(malloc_usable_size(p));
        std::free(p);
    }
    static void* do_realloc(void* p, size_t n) {
        long long old = p ? static_cast<long long>(malloc_usable_size(p)) : 0;
        void* q = std::realloc(p, n);
        if (q) {
            current -= old;
            add(static_cast<long long>(malloc_usable_size(q)));
        }
        return q;
    }
    static char* do_strdup(const char* s) {
        size_t n = std::strlen(s) + 1;
        char* p = static_cast<char*>(do_malloc(n));
        if (p) std::memcpy(p, s, n);
        return p;
    }
    static void add(long long n) {
        current += n;
        if (current > peak) peak = current;
    }
    static void install() {
        static bool done = [] {
            xmlMemSetup(&do_free, &do_malloc, &do_realloc, &do_strdup);
            return true;
        }();
        (void)done;
    }
};

}  // namespace

TEST_CASE("parser: stream header and stanzas") {
    Run r(kHeader + "<message to='romeo@example.net' type='chat'><body>Hi</body></message>");
    CHECK(r.ok);
    REQUIRE(r.rec.events.size() == 2);
    CHECK(r.rec.events[0] == "open");
    const StreamHeader& h = r.rec.header;
    CHECK(h.name == "stream");
    CHECK(h.xmlns == "http://etherx.jabber.org/streams");
    CHECK(h.default_ns == "jabber:client");
    CHECK(h.prefix == "stream");
    CHECK(h.to == "example.com");
    CHECK(h.from == "juliet@example.com");
    CHECK(h.id == "s1");
    CHECK(h.version == "1.0");
    CHECK(h.lang == "en");
    REQUIRE(r.rec.stanzas.size() == 1);
    const Element& m = r.rec.stanzas[0];
    CHECK(m.name() == "message");
    CHECK(m.xmlns() == "jabber:client");  // inherited from the stream's default namespace
    CHECK(m.attr_or("to") == "romeo@example.net");
    CHECK(m.attr_or("type") == "chat");
    CHECK(m.child_text("body", "jabber:client") == "Hi");
}

TEST_CASE("parser: namespaces") {
    SUBCASE("another prefix for the stream") {
        Run r("<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:server'>"
              "<message/>");
        CHECK(r.ok);
        CHECK(r.rec.header.prefix == "s");
        CHECK(r.rec.header.default_ns == "jabber:server");
        REQUIRE(r.rec.stanzas.size() == 1);
        CHECK(r.rec.stanzas[0].xmlns() == "jabber:server");
    }
    SUBCASE("explicit xmlns, inherited and prefixed children") {
        Run r(kHeader +
              "<iq xmlns='jabber:client' type='get' id='1'><query xmlns='jabber:iq:roster'>"
              "<item jid='a@b'/></query></iq>"
              "<message><x:foo xmlns:x='urn:x' x:attr='v'><x:bar/><baz/></x:foo></message>"
              "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
        CHECK(r.ok);
        REQUIRE(r.rec.stanzas.size() == 3);
        const Element& iq = r.rec.stanzas[0];
        CHECK(iq.xmlns() == "jabber:client");
        CHECK(iq.attr("xmlns") == nullptr);  // the default namespace is not an attribute
        const Element* q = iq.child("query");
        REQUIRE(q);
        CHECK(q->xmlns() == "jabber:iq:roster");
        REQUIRE(q->child("item"));
        CHECK(q->child("item")->xmlns() == "jabber:iq:roster");
        const Element* foo = r.rec.stanzas[1].child("foo");
        REQUIRE(foo);
        CHECK(foo->xmlns() == "urn:x");
        CHECK(foo->attr_or("xmlns:x") == "urn:x");
        CHECK(foo->attr_or("x:attr") == "v");
        CHECK(foo->child("bar", "urn:x") != nullptr);
        CHECK(foo->child("baz", "jabber:client") != nullptr);
        CHECK(r.rec.stanzas[2].name() == "features");
        CHECK(r.rec.stanzas[2].xmlns() == "http://etherx.jabber.org/streams");
        CHECK(r.rec.stanzas[2].child("bind", "urn:ietf:params:xml:ns:xmpp-bind") != nullptr);
    }
    SUBCASE("a stream without a default namespace") {
        Run r("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><message/>");
        CHECK(r.rec.header.default_ns.empty());
        REQUIRE(r.rec.stanzas.size() == 1);
        CHECK(r.rec.stanzas[0].xmlns().empty());
    }
}

TEST_CASE("parser: restricted XML (RFC 6120 §11.1)") {
    CHECK(error_of("<!DOCTYPE stream>" + kHeader) == StreamError::restricted_xml);
    CHECK(error_of("<?xml version='1.0'?><!DOCTYPE s [<!ELEMENT s ANY>]><s/>") ==
          StreamError::restricted_xml);
    CHECK(error_of("<?xml version='1.0'?><!DOCTYPE s SYSTEM 'http://example.com/x.dtd'>") ==
          StreamError::restricted_xml);
    CHECK(error_of("<!DOCTYPE s [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;'>]>"
                   "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>&lol2;") ==
          StreamError::restricted_xml);
    CHECK(error_of(kHeader + "<message><!-- hidden --></message>") == StreamError::restricted_xml);
    CHECK(error_of(kHeader + "<message/><!-- between --><message/>") == StreamError::restricted_xml);
    CHECK(error_of("<!-- before -->" + kHeader) == StreamError::restricted_xml);
    CHECK(error_of(kHeader + "<message><?php echo 1; ?></message>") == StreamError::restricted_xml);
    CHECK(error_of(kHeader + "<?pi between?>") == StreamError::restricted_xml);
    CHECK(error_of("<?xml-stylesheet href='x'?>" + kHeader) == StreamError::restricted_xml);
    // The XML declaration is not a processing instruction.
    Run ok("<?xml version='1.0' encoding='UTF-8'?>" + kHeader.substr(21) + "<message/>");
    CHECK(ok.ok);
    CHECK(ok.rec.stanzas.size() == 1);
}

TEST_CASE("parser: entity references") {
    CHECK(error_of(kHeader + "<message><body>&foo;</body></message>") == StreamError::restricted_xml);
    CHECK(error_of(kHeader + "<message id='&foo;'/>") == StreamError::restricted_xml);
    CHECK(error_of(kHeader + "<message><body>&#0;</body></message>") == StreamError::not_well_formed);

    Run r(kHeader +
          "<message id='&amp;&lt;&gt;&quot;&apos;&#38;&#x26;&#65;'>"
          "<body>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x263A;&#38;amp;</body></message>");
    CHECK(r.ok);
    REQUIRE(r.rec.stanzas.size() == 1);
    CHECK(r.rec.stanzas[0].attr_or("id") == "&<>\"'&&A");
    CHECK(r.rec.stanzas[0].child_text("body") == "<>&\"'AB\xE2\x98\xBA&amp;");
}

TEST_CASE("parser: not well-formed XML") {
    CHECK(error_of(kHeader + "<message><body></message>") == StreamError::not_well_formed);
    CHECK(error_of(kHeader + "<message to=foo/>") == StreamError::not_well_formed);
    CHECK(error_of(kHeader + "<message a='1' a='2'/>") == StreamError::not_well_formed);
    CHECK(error_of(kHeader + "<x:message/>") == StreamError::not_well_formed);  // unbound prefix
    CHECK(error_of(kHeader + "<message><body>\xC3\x28</body></message>") == StreamError::not_well_formed);
    CHECK(error_of(kHeader + "<message>a < b</message>") == StreamError::not_well_formed);
    CHECK(error_of(kHeader + "</message>") == StreamError::not_well_formed);
    // Before the stream header nothing but the prolog may appear.
    CHECK(error_of("hello" + kHeader) == StreamError::not_well_formed);
}

TEST_CASE("parser: stream-level errors") {
    CHECK(error_of("<stream:stream xmlns:stream='urn:wrong'>") == StreamError::invalid_namespace);
    CHECK(error_of("<stream xmlns='jabber:client'>") == StreamError::invalid_namespace);
    CHECK(error_of("<stream:open xmlns:stream='http://etherx.jabber.org/streams'>") == StreamError::bad_format);
    CHECK(error_of(kHeader + kHeader.substr(21)) == StreamError::bad_format);  // second header
    CHECK(error_of(kHeader + "<message/>hello<message/>") == StreamError::bad_format);  // text at top level
    CHECK(error_of("<?xml version='1.0' encoding='ISO-8859-1'?>" + kHeader.substr(21)) ==
          StreamError::unsupported_encoding);
    CHECK(error_of("<?xml version='1.0' encoding='no-such-charset'?>" + kHeader.substr(21)) ==
          StreamError::unsupported_encoding);
    // UTF-16 (little endian, with a byte order mark).
    std::string utf16 = "\xFF\xFE";
    for (char c : kHeader.substr(21)) {
        utf16 += c;
        utf16 += '\0';
    }
    CHECK(error_of(utf16) == StreamError::unsupported_encoding);
    // UTF-8 is accepted however it is announced.
    CHECK(Run("\xEF\xBB\xBF" + kHeader.substr(21)).ok);  // byte order mark
    CHECK(Run("<?xml version='1.0' encoding='utf-8'?>" + kHeader.substr(21)).ok);
}

TEST_CASE("parser: a refused header stops libxml2 for the rest of the chunk") {
    // Regression: after the encoding check refused the XML declaration,
    // libxml2 went on to the DOCTYPE in the same chunk and built a document
    // for the entity declaration (its "expat compatibility"), which leaked.
    XmlMemory::install();
    long long before = XmlMemory::current;
    {
        Recorder rec;
        StreamParser p(rec);
        CHECK_FALSE(p.feed("<?xml version='1.0' encoding='ISO-8859-1'?>"
                           "<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"));
        REQUIRE(rec.error);
        CHECK(*rec.error == StreamError::unsupported_encoding);
        CHECK(rec.events.size() == 1);
    }
    CHECK(XmlMemory::current == before);
}

TEST_CASE("parser: whitespace keepalives and stream close") {
    Recorder rec;
    StreamParser p(rec);
    CHECK(p.feed(kHeader));
    CHECK(p.feed(" "));
    CHECK(p.feed("\n \t\r\n"));
    CHECK(p.feed("<message/>"));
    CHECK(p.feed("   "));
    CHECK(p.feed("<presence/>  \n"));
    CHECK_FALSE(rec.error);
    REQUIRE(rec.events.size() == 3);
    CHECK(p.feed(" </stream:stream>") == false);
    REQUIRE(rec.events.size() == 4);
    CHECK(rec.events[3] == "close");
    // After close: nothing more is delivered.
    CHECK_FALSE(p.feed("<message/>"));
    CHECK(rec.events.size() == 4);
}

TEST_CASE("parser: nothing is delivered after an error") {
    Recorder rec;
    StreamParser p(rec);
    CHECK(p.feed(kHeader));
    CHECK_FALSE(p.feed("<message><!-- x --></message><message/>"));
    CHECK_FALSE(p.feed("<message/>"));
    CHECK_FALSE(p.feed("</stream:stream>"));
    REQUIRE(rec.events.size() == 2);
    CHECK(rec.events[1].rfind("error:restricted-xml", 0) == 0);
}

TEST_CASE("parser: byte by byte gives the same events as one chunk") {
    std::string xml = kHeader +
                      "<message to='a@b' id='x&amp;y'><body>Hello &lt;world&gt; \xE2\x98\xBA &#x263A;</body>"
                      "<x:data xmlns:x='urn:x'><x:item k='v'>t<![CDATA[<raw>]]>u</x:item></x:data></message>\n  "
                      "<iq type='get' id='1'><query xmlns='jabber:iq:roster'/></iq> <presence/>"
                      "</stream:stream>";
    Run whole(xml);
    Recorder rec;
    StreamParser p(rec);
    for (char c : xml) p.feed(std::string_view(&c, 1));
    CHECK(rec.events == whole.rec.events);
    CHECK(rec.stanzas == whole.rec.stanzas);
    CHECK(whole.rec.events.size() == 5);
    CHECK(whole.rec.stanzas.at(0).child("data")->child("item")->text() == "t<raw>u");
    CHECK_FALSE(whole.rec.error);
}

TEST_CASE("parser: random chunking gives the same events") {
    std::string xml = kHeader +
                      "<message to='a@b' id='x&amp;y'><body>Hello &lt;world&gt; \xE2\x98\xBA</body></message> "
                      "<iq type='set' id='2'><query xmlns='jabber:iq:roster'><item jid='c@d' name='&#38;'>"
                      "<group>Friends</group></item></query></iq>\n"
                      "<presence><show>away</show><status>  spaced  out  </status></presence>"
                      "<message><x:data xmlns:x='urn:x'><![CDATA[a]]>b<x:item/>c</x:data></message>"
                      "</stream:stream>";
    Run whole(xml);
    REQUIRE(whole.rec.events.size() == 6);
    unsigned seed = 12345;
    for (int round = 0; round < 300; ++round) {
        Recorder rec;
        StreamParser p(rec);
        std::size_t pos = 0;
        while (pos < xml.size()) {
            seed = seed * 1103515245u + 12345u;
            std::size_t n = 1 + (seed >> 16) % 40;
            p.feed(std::string_view(xml).substr(pos, n));
            pos += n;
        }
        REQUIRE(rec.events == whole.rec.events);
        REQUIRE(rec.stanzas == whole.rec.stanzas);
    }
}

TEST_CASE("parser: stanza size limit") {
    ParserLimits limits;
    limits.max_stanza_bytes = 1000;
    std::string head = "<message><body>";
    std::string tail = "</body></message>";
    std::string exact = head + std::string(1000 - head.size() - tail.size(), 'a') + tail;
    REQUIRE(exact.size() == 1000);
    SUBCASE("a stanza of exactly the limit passes, in one chunk or byte by byte") {
        Run r(kHeader + exact + exact, limits);
        CHECK(r.ok);
        CHECK(r.rec.stanzas.size() == 2);
        Recorder rec;
        StreamParser p(rec, limits);
        std::string all = kHeader + " " + exact + "\n" + exact;
        for (char c : all) p.feed(std::string_view(&c, 1));
        CHECK_FALSE(rec.error);
        CHECK(rec.stanzas.size() == 2);
    }
    SUBCASE("one byte more fails") {
        std::string over = head + std::string(1001 - head.size() - tail.size(), 'a') + tail;
        CHECK(error_of(kHeader + exact + over, limits) == StreamError::policy_violation);
    }
    SUBCASE("an unterminated start tag counts too") {
        CHECK(error_of(kHeader + "<message a='" + std::string(2000, 'x'), limits) ==
              StreamError::policy_violation);
    }
    SUBCASE("a 10 MB stanza in one chunk is refused without being buffered") {
        XmlMemory::install();
        ParserLimits big;  // default limit: 256 KiB
        std::string huge = "<message><body>" + std::string(10 * 1024 * 1024, 'a');
        Recorder rec;
        StreamParser p(rec, big);
        CHECK(p.feed(kHeader));
        XmlMemory::peak = XmlMemory::current;
        long long before = XmlMemory::current;
        CHECK_FALSE(p.feed(huge));
        REQUIRE(rec.error);
        CHECK(*rec.error == StreamError::policy_violation);
        long long growth = XmlMemory::peak - before;
        MESSAGE("libxml2 peak growth while refusing 10 MB: " << growth << " bytes");
        CHECK(growth < 4 * static_cast<long long>(big.max_stanza_bytes));
    }
    SUBCASE("the header counts against the limit before the stream opens") {
        ParserLimits small;
        small.max_stanza_bytes = 100;
        CHECK(error_of(kHeader, small) == StreamError::policy_violation);
    }
}

TEST_CASE("parser: depth and attribute limits") {
    ParserLimits limits;
    limits.max_depth = 4;
    limits.max_attributes = 3;
    // The stanza is at depth 1; four levels pass, five fail.
    Run ok(kHeader + "<a><b><c><d/></c></b></a>", limits);
    CHECK(ok.ok);
    CHECK(ok.rec.stanzas.size() == 1);
    CHECK(error_of(kHeader + "<a><b><c><d><e/></d></c></b></a>", limits) == StreamError::policy_violation);
    Run attrs(kHeader + "<a x='1' y='2' z='3'/>", limits);
    CHECK(attrs.ok);
    CHECK(error_of(kHeader + "<a x='1' y='2' z='3' w='4'/>", limits) == StreamError::policy_violation);
    // Namespace declarations count as attributes.
    CHECK(error_of(kHeader + "<a xmlns:p='u' y='2' z='3' w='4'/>", limits) == StreamError::policy_violation);
}

TEST_CASE("parser: reset from inside on_stanza starts a new stream") {
    Recorder rec;
    StreamParser p(rec);
    rec.on_stanza_hook = [&](Element& e) {
        if (e.name() == "starttls") p.reset();
    };
    // Bytes after <starttls/> in the same chunk are dropped, even broken ones.
    CHECK(p.feed(kHeader + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message/><<<"));
    CHECK_FALSE(rec.error);
    REQUIRE(rec.events.size() == 2);
    CHECK(p.feed(kHeader + "<message id='after'/>"));
    CHECK_FALSE(rec.error);
    REQUIRE(rec.events.size() == 4);
    CHECK(rec.events[2] == "open");
    CHECK(rec.stanzas.back().attr_or("id") == "after");
    // A reset outside a callback works too.
    p.reset();
    CHECK(p.feed(kHeader));
    CHECK(rec.events.size() == 5);
}

TEST_CASE("parser: the handler may destroy the parser") {
    struct Killer : Recorder {
        std::unique_ptr<StreamParser> parser;
        void on_stanza(Element&& e) override {
            Recorder::on_stanza(std::move(e));
            parser.reset();
        }
    } k;
    k.parser = std::make_unique<StreamParser>(k);
    StreamParser* raw = k.parser.get();
    CHECK_FALSE(raw->feed(kHeader + "<message/><message/>"));
    CHECK(k.parser == nullptr);
    CHECK(k.stanzas.size() == 1);

    // Destroyed from on_stream_error: nothing more is reported (the handler
    // may be going away with it).
    struct ErrorKiller : Recorder {
        std::unique_ptr<StreamParser> parser;
        void on_stream_error(StreamError c, std::string_view t) override {
            Recorder::on_stream_error(c, t);
            parser.reset();
        }
    } e;
    e.parser = std::make_unique<StreamParser>(e);
    CHECK_FALSE(e.parser->feed(kHeader + "<message><!-- x --></message><a></b>"));
    CHECK(e.parser == nullptr);
    CHECK(e.events.size() == 2);
}

TEST_CASE("parser: release_idle_memory between stanzas") {
    Recorder rec;
    StreamParser p(rec);
    CHECK(p.release_idle_memory());  // nothing allocated yet
    CHECK(p.feed(kHeader + "<message id='1'/>  "));
    CHECK(p.release_idle_memory());
    CHECK(p.feed("<message id='2'><x:y xmlns:x='urn:x'/></message>"));
    CHECK(p.feed("<message id='3'><body>partial"));
    CHECK_FALSE(p.release_idle_memory());  // inside a stanza
    CHECK(p.feed("</body></message>"));
    CHECK_FALSE(rec.error);
    REQUIRE(rec.events.size() == 4);  // one open only
    CHECK(rec.stanzas[1].xmlns() == "jabber:client");
    CHECK(rec.stanzas[1].child("y", "urn:x") != nullptr);
    CHECK(rec.stanzas[2].child_text("body") == "partial");
    CHECK(p.release_idle_memory());
    CHECK_FALSE(p.feed("</stream:stream>"));
    CHECK(rec.events.back() == "close");
}

TEST_CASE("parser: parse -> serialize -> parse round trip") {
    std::string body = "<message to='a@b/c' id='i&amp;d' type='chat' xml:lang='en'>"
                       "<body>1 &lt; 2 &amp;&amp; 3 &gt; 2 \"q\" 'a' &#xD;</body>"
                       "<thread>t</thread>\n  <x:data xmlns:x='urn:x' x:k='v&#10;w&#9;'>"
                       "<x:item/><plain>txt</plain></x:data>"
                       "<ext xmlns='urn:ext'><sub/><other xmlns='urn:o'>o</other></ext>"
                       "</message>";
    Run first(kHeader + body);
    REQUIRE(first.rec.stanzas.size() == 1);
    std::string again;
    for (const auto& s : first.rec.stanzas) serialize(s, again);
    Run second(kHeader + again);
    CHECK_FALSE(second.rec.error);
    REQUIRE(second.rec.stanzas.size() == 1);
    CHECK(second.rec.stanzas[0] == first.rec.stanzas[0]);
    CHECK(first.rec.stanzas[0].child("data")->attr_or("x:k") == "v\nw\t");
}

TEST_CASE("parser: memory of an idle stream") {
    // Reports what an open stream costs, and checks that an idle one released
    // with release_idle_memory() stays far below the 10 KiB session budget.
    struct Null : StreamHandler {
        void on_stream_open(const StreamHeader&) override {}
        void on_stanza(Element&&) override {}
        void on_stream_close() override {}
        void on_stream_error(StreamError, std::string_view) override {}
    } null;
    XmlMemory::install();
    const int n = 200;
    const std::string input = kHeader + "<message><body>hello</body></message>";
    {
        StreamParser warm_up(null);  // libxml2's one-time global set-up is not per stream
        warm_up.feed(input);
    }
    std::vector<std::unique_ptr<StreamParser>> parsers;
    parsers.reserve(n);
    struct mallinfo2 before = mallinfo2();
    long long xml_before = XmlMemory::current;
    for (int i = 0; i < n; ++i) {
        parsers.push_back(std::make_unique<StreamParser>(null));
        CHECK(parsers.back()->feed(input));
    }
    struct mallinfo2 open = mallinfo2();
    long long xml_open = XmlMemory::current;
    for (auto& p : parsers) CHECK(p->release_idle_memory());
    struct mallinfo2 released = mallinfo2();
    long long xml_released = XmlMemory::current;
    long long per_open = static_cast<long long>(open.uordblks - before.uordblks) / n;
    long long per_released = static_cast<long long>(released.uordblks - before.uordblks) / n;
    MESSAGE("per open stream: " << per_open << " bytes (libxml2: " << (xml_open - xml_before) / n
                                << "); after release_idle_memory: " << per_released << " bytes (libxml2: "
                                << (xml_released - xml_before) / n << ")");
    CHECK(per_released < 1024);
    // Still usable afterwards.
    CHECK(parsers[0]->feed("<message/>"));
}
