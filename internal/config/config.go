// Package config loads kycd's configuration: defaults, then a JSON file, then
// KYCD_* environment variables, then command-line flags, each overriding the
// one before. Secrets may also come from files named by KYCD_*_FILE.
package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kycd/kycd/internal/store"
)

// Modes.
const (
	ModeDev        = "dev"
	ModeProduction = "production"
)

// Config is every setting of a kycd process.
type Config struct {
	Mode            string
	Addr            string
	PublicURL       string
	DataDir         string
	DatabaseURL     string
	BlobURL         string
	MasterKeyFile   string
	MasterKey       string
	Mail            string
	ModelsDir       string
	LogLevel        string
	LogFormat       string
	MaxBodyBytes    int64
	ShutdownTimeout time.Duration
	JobWorkers      int
	JobTimeout      time.Duration
	DBMaxConns      int
	AuthRateLimit   int
	Argon2MemoryKiB int
	Argon2Time      int
	Argon2Threads   int
	FaceWorkers     int
	FaceThreads     int
	MaxImagePixels  int
	AadhaarCerts    string // PEM files of certificates trusted to sign Aadhaar Secure QR codes, comma-separated
	// Image work admitted by the API: per principal per minute, and how
	// many requests may wait for one of the face workers.
	AnalysisRateLimit int
	AnalysisQueue     int
	// LivenessChallenges fixes the challenge order (dev mode only: demos
	// and browser tests with a recorded camera).
	LivenessChallenges string

	// The decision rules of verifications.
	MatchThreshold  int
	ReviewThreshold int
	MinAge          int
	DocumentTypes   string
	Countries       string
	MaxAttempts     int
	Retention       time.Duration
	SpoofReview     int
	FourEyes        string
	TrustedProxies  string
	AccessLog       string
	MetricsAddr     string
	OTLPEndpoint    string
	TraceSample     float64

	// WebhookAllowPrivate lets webhooks reach private and loopback
	// addresses (receivers inside the operator's network).
	WebhookAllowPrivate bool
}

// option describes one setting once, for flags, env, the file and --help.
type option struct {
	name   string // flag name; the file key is the same with '_' for '-'
	help   string
	secret bool // may also be read from KYCD_<NAME>_FILE; never printed
	dflt   string
	field  func(c *Config) any
}

func (o option) env() string {
	return "KYCD_" + strings.ToUpper(strings.ReplaceAll(o.name, "-", "_"))
}

func (o option) fileKey() string { return strings.ReplaceAll(o.name, "-", "_") }

var options = []option{
	{name: "mode", dflt: ModeDev, help: "dev or production; production refuses dev mail, generated keys and non-HTTPS public URLs",
		field: func(c *Config) any { return &c.Mode }},
	{name: "addr", dflt: "127.0.0.1:8080", help: "address the HTTP server listens on",
		field: func(c *Config) any { return &c.Addr }},
	{name: "public-url", help: "URL applicants reach kycd at (links in e-mails, stream URLs); default http://<addr>",
		field: func(c *Config) any { return &c.PublicURL }},
	{name: "data-dir", dflt: "./data", help: "directory for the SQLite file, local blobs, models and the generated dev master key",
		field: func(c *Config) any { return &c.DataDir }},
	{name: "database-url", secret: true, help: "sqlite://<data-dir>/kycd.db (default) or postgres://user:pass@host:port/db",
		field: func(c *Config) any { return &c.DatabaseURL }},
	{name: "blob-url", help: "file://<data-dir>/blobs (default) or s3://bucket[/prefix]?endpoint=http://host:port&region=R (credentials from AWS_* env)",
		field: func(c *Config) any { return &c.BlobURL }},
	{name: "master-key-file", help: "file holding the 32-byte master key (base64 or hex); generated under the data dir in dev mode only",
		field: func(c *Config) any { return &c.MasterKeyFile }},
	// Not marked secret: its KYCD_MASTER_KEY_FILE is the master-key-file option.
	{name: "master-key", help: "the master key itself (base64 or hex); prefer --master-key-file",
		field: func(c *Config) any { return &c.MasterKey }},
	{name: "mail", dflt: "dev", secret: true, help: "dev (messages kept in the database) or smtp://user:pass@host:port",
		field: func(c *Config) any { return &c.Mail }},
	{name: "models-dir", help: "directory holding ONNX Runtime and the model files; default <data-dir>/models",
		field: func(c *Config) any { return &c.ModelsDir }},
	{name: "log-level", dflt: "info", help: "debug, info, warn or error",
		field: func(c *Config) any { return &c.LogLevel }},
	{name: "log-format", dflt: "text", help: "text or json",
		field: func(c *Config) any { return &c.LogFormat }},
	{name: "max-body-bytes", dflt: "26214400", help: "largest request body accepted, in bytes",
		field: func(c *Config) any { return &c.MaxBodyBytes }},
	{name: "shutdown-timeout", dflt: "30s", help: "how long a graceful shutdown waits for requests and jobs",
		field: func(c *Config) any { return &c.ShutdownTimeout }},
	{name: "job-workers", dflt: "4", help: "background jobs run at once by this process in each queue (analysis; webhooks, mail, deletions); 0 makes an API-only node",
		field: func(c *Config) any { return &c.JobWorkers }},
	{name: "db-max-conns", dflt: "10", help: "largest PostgreSQL connection pool (SQLite always uses one connection)",
		field: func(c *Config) any { return &c.DBMaxConns }},
	{name: "auth-rate-limit", dflt: "30", help: "sign-up, sign-in and other account requests allowed per minute per client address, on each process",
		field: func(c *Config) any { return &c.AuthRateLimit }},
	{name: "trusted-proxies", help: "reverse proxies (addresses and CIDR prefixes, comma-separated) whose X-Forwarded-For or Forwarded header names the client; none: the peer is the client",
		field: func(c *Config) any { return &c.TrustedProxies }},
	{name: "metrics-addr", help: "serve Prometheus metrics at /metrics on this address (e.g. 127.0.0.1:9464; keep it off the public network); off when empty",
		field: func(c *Config) any { return &c.MetricsAddr }},
	{name: "otlp-endpoint", help: "export OpenTelemetry traces over OTLP/HTTP to this collector (e.g. http://127.0.0.1:4318; headers from OTEL_EXPORTER_OTLP_HEADERS); off when empty",
		field: func(c *Config) any { return &c.OTLPEndpoint }},
	{name: "trace-sample", dflt: "1", help: "share of new traces recorded when --otlp-endpoint is set (0 to 1); a trace begun by the caller keeps its caller's choice",
		field: func(c *Config) any { return &c.TraceSample }},
	{name: "access-log", dflt: "all", help: "which requests are logged: all, errors (status 400 and above, and requests slower than 1 s) or off",
		field: func(c *Config) any { return &c.AccessLog }},
	{name: "argon2-memory-kib", dflt: "19456", help: "argon2id memory per password hash, in KiB; hashes are upgraded at sign-in when changed",
		field: func(c *Config) any { return &c.Argon2MemoryKiB }},
	{name: "argon2-time", dflt: "2", help: "argon2id passes per password hash",
		field: func(c *Config) any { return &c.Argon2Time }},
	{name: "argon2-threads", dflt: "1", help: "argon2id lanes per password hash",
		field: func(c *Config) any { return &c.Argon2Threads }},
	{name: "face-workers", dflt: "0", help: "images analysed at once by the face engine; 0 means one per CPU",
		field: func(c *Config) any { return &c.FaceWorkers }},
	{name: "face-threads", dflt: "1", help: "ONNX Runtime threads per face analysis; 1 is fastest overall on small machines",
		field: func(c *Config) any { return &c.FaceThreads }},
	{name: "max-image-pixels", dflt: "25000000", help: "largest image accepted, in pixels, checked before decoding (images over 12000 px a side or 20 times as long as wide are refused too)",
		field: func(c *Config) any { return &c.MaxImagePixels }},
	{name: "aadhaar-certs", help: "PEM certificate files, comma-separated, trusted to sign India's Aadhaar Secure QR codes besides UIDAI's published 2017 and 2021 certificates (add UIDAI's newer ones here)",
		field: func(c *Config) any { return &c.AadhaarCerts }},
	{name: "analysis-rate-limit", dflt: "60", help: "image analyses (faces, documents, uploads) each user or API key may ask for per minute (429 beyond)",
		field: func(c *Config) any { return &c.AnalysisRateLimit }},
	{name: "analysis-queue", dflt: "0", help: "image requests that may wait for a face worker; more are refused with 503 and Retry-After; 0 means twice the workers",
		field: func(c *Config) any { return &c.AnalysisQueue }},
	{name: "job-timeout", dflt: "5m", help: "a background job is cancelled after this long; a job whose process died is run again 10 s after it",
		field: func(c *Config) any { return &c.JobTimeout }},
	{name: "match-threshold", dflt: "80", help: "face similarity (0-100) at or above which the selfie and the document's portrait are one person (80: 0.1% false matches)",
		field: func(c *Config) any { return &c.MatchThreshold }},
	{name: "review-threshold", dflt: "60", help: "below this similarity the faces are two people (face_mismatch); between it and match-threshold a reviewer decides",
		field: func(c *Config) any { return &c.ReviewThreshold }},
	{name: "min-age", dflt: "18", help: "applicants younger than this are rejected (underage)",
		field: func(c *Config) any { return &c.MinAge }},
	{name: "document-types", dflt: "passport,id_card,residence_permit,drivers_license", help: "accepted document types, comma-separated (others: unsupported_document)",
		field: func(c *Config) any { return &c.DocumentTypes }},
	{name: "document-countries", help: "accepted issuing countries, ISO 3166 alpha-3, comma-separated; any when empty",
		field: func(c *Config) any { return &c.Countries }},
	{name: "max-attempts", dflt: "5", help: "verifications an applicant may start in 24 hours",
		field: func(c *Config) any { return &c.MaxAttempts }},
	{name: "spoof-review", dflt: "0", help: "a passed liveness check whose confidence (60-100: passive anti-spoofing and face consistency) is below this goes to a reviewer (spoof_detected); 0 turns it off",
		field: func(c *Config) any { return &c.SpoofReview }},
	{name: "four-eyes", dflt: "off", help: "which reviewers' decisions a second reviewer confirms: off, rejections, high_risk (rejections, and approvals of cases with a fraud signal), all",
		field: func(c *Config) any { return &c.FourEyes }},
	{name: "retention", dflt: "720h", help: "how long images and biometric data are kept after a decision (0 keeps them); a sweep erases them hourly",
		field: func(c *Config) any { return &c.Retention }},
	{name: "webhook-allow-private", dflt: "false", help: "let webhooks reach private, loopback and link-local addresses (receivers inside your network); off, kycd refuses them when a webhook is made and when it connects",
		field: func(c *Config) any { return &c.WebhookAllowPrivate }},
	{name: "liveness-challenges", help: "dev mode only: a fixed, comma-separated challenge order (turn_left,turn_right,look_up,blink,smile,come_closer,light) instead of a random one; without a turn and a look-up the 3-D checks see one axis only",
		field: func(c *Config) any { return &c.LivenessChallenges }},
}

// set parses s into the field that o names.
func (o option) set(c *Config, s string) error {
	switch p := o.field(c).(type) {
	case *string:
		*p = s
	case *int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%s: %q is not a whole number", o.name, s)
		}
		*p = n
	case *int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a whole number", o.name, s)
		}
		*p = n
	case *float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", o.name, s)
		}
		*p = f
	case *bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%s: %q is not true or false", o.name, s)
		}
		*p = b
	case *time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%s: %q is not a duration such as 30s or 5m", o.name, s)
		}
		*p = d
	default:
		panic("config: unsupported field type")
	}
	return nil
}

// Defaults returns the configuration with nothing set by the operator.
func Defaults() *Config {
	c := &Config{}
	for _, o := range options {
		if o.dflt != "" {
			if err := o.set(c, o.dflt); err != nil {
				panic(err)
			}
		}
	}
	return c
}

// Load builds the configuration from the defaults, the JSON file named by
// --config or KYCD_CONFIG, the environment (lookup, usually os.LookupEnv) and
// args, the flags after the subcommand. It returns flag.ErrHelp after writing
// the help to out when args ask for it. It does not call Validate.
func Load(name string, args []string, lookup func(string) (string, bool), out io.Writer) (*Config, error) {
	c := Defaults()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	configFile := fs.String("config", "", "")
	flagValues := map[string]*string{}
	for _, o := range options {
		flagValues[o.name] = fs.String(o.name, "", "")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			Usage(out, name)
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (options start with --)", fs.Arg(0))
	}
	if *configFile == "" {
		*configFile, _ = lookup("KYCD_CONFIG")
	}
	if *configFile != "" {
		if err := c.loadFile(*configFile); err != nil {
			return nil, err
		}
	}
	for _, o := range options {
		if err := c.loadEnv(o, lookup); err != nil {
			return nil, err
		}
	}
	var err error
	fs.Visit(func(f *flag.Flag) {
		for _, o := range options {
			if o.name == f.Name && err == nil {
				err = o.set(c, *flagValues[o.name])
			}
		}
	})
	if err != nil {
		return nil, err
	}
	c.fillDerived()
	return c, nil
}

func (c *Config) loadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("config file %s is not a JSON object: %w", path, err)
	}
	for key, v := range raw {
		i := slices.IndexFunc(options, func(o option) bool { return o.fileKey() == key })
		if i < 0 {
			return fmt.Errorf("config file %s: unknown setting %q", path, key)
		}
		s := string(v)
		if strings.HasPrefix(s, `"`) {
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("config file %s: %s: %w", path, key, err)
			}
		}
		if err := options[i].set(c, s); err != nil {
			return fmt.Errorf("config file %s: %w", path, err)
		}
	}
	return nil
}

func (c *Config) loadEnv(o option, lookup func(string) (string, bool)) error {
	v, ok := lookup(o.env())
	if o.secret {
		if file, fok := lookup(o.env() + "_FILE"); fok && file != "" {
			if ok && v != "" {
				return fmt.Errorf("set %s or %s_FILE, not both", o.env(), o.env())
			}
			data, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("%s_FILE: %w", o.env(), err)
			}
			v, ok = strings.TrimRight(string(data), "\r\n"), true
		}
	}
	if !ok || v == "" {
		return nil
	}
	if err := o.set(c, v); err != nil {
		return fmt.Errorf("%s: %w", o.env(), err)
	}
	return nil
}

// fillDerived sets the defaults that depend on other settings.
func (c *Config) fillDerived() {
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite://" + filepath.Join(c.DataDir, "kycd.db")
	}
	if c.BlobURL == "" {
		c.BlobURL = "file://" + filepath.Join(c.DataDir, "blobs")
	}
	if c.ModelsDir == "" {
		c.ModelsDir = filepath.Join(c.DataDir, "models")
	}
	if c.PublicURL == "" {
		host, port, err := net.SplitHostPort(c.Addr)
		if err == nil {
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "localhost"
			}
			c.PublicURL = "http://" + net.JoinHostPort(host, port)
		}
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// Validate reports the first setting that is wrong or that does not fit with
// the others, in a sentence an operator can act on.
func (c *Config) Validate() error {
	if c.Mode != ModeDev && c.Mode != ModeProduction {
		return fmt.Errorf("mode %q is unknown (want dev or production)", c.Mode)
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("addr %q is not host:port", c.Addr)
	}
	if c.Mode == ModeDev && !Loopback(host) {
		return fmt.Errorf("dev mode listens on loopback only (127.0.0.1, ::1 or localhost), not %q: its mailbox shows every "+
			"account's codes to anyone and its master key sits in the data directory; run --mode production to serve a network", c.Addr)
	}
	pu, err := url.Parse(c.PublicURL)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return fmt.Errorf("public-url %q is not an http(s) URL", c.PublicURL)
	}
	if c.DataDir == "" {
		return errors.New("data-dir must not be empty")
	}
	if _, err := store.ParseURL(c.DatabaseURL); err != nil {
		return err
	}
	if _, err := url.Parse(c.BlobURL); err != nil {
		return fmt.Errorf("blob-url is not a URL: %v", err)
	}
	switch s := strings.SplitN(c.BlobURL, "://", 2)[0]; s {
	case "file", "s3":
	default:
		return fmt.Errorf("blob-url scheme %q is unknown (want file:// or s3://)", s)
	}
	if c.Mail != "dev" && !strings.HasPrefix(c.Mail, "smtp://") && !strings.HasPrefix(c.Mail, "smtps://") {
		return errors.New("mail must be dev or an smtp:// or smtps:// URL")
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		return fmt.Errorf("log-level %q is unknown (want debug, info, warn or error)", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log-format %q is unknown (want text or json)", c.LogFormat)
	}
	if c.MaxBodyBytes < 1<<20 {
		return fmt.Errorf("max-body-bytes %d is below 1 MiB, too small for an ID photo", c.MaxBodyBytes)
	}
	if c.ShutdownTimeout <= 0 {
		return errors.New("shutdown-timeout must be positive")
	}
	if c.JobWorkers < 0 || c.DBMaxConns < 2 {
		return errors.New("job-workers must be 0 or more and db-max-conns at least 2")
	}
	if c.AuthRateLimit < 1 {
		return errors.New("auth-rate-limit must be at least 1 request per minute")
	}
	if c.Argon2MemoryKiB < 1024 || c.Argon2Time < 1 || c.Argon2Threads < 1 || c.Argon2Threads > 255 {
		return errors.New("argon2 parameters too weak: argon2-memory-kib at least 1024, argon2-time and argon2-threads (1-255) at least 1")
	}
	if c.FaceWorkers < 0 || c.FaceThreads < 1 || c.MaxImagePixels < 1_000_000 {
		return errors.New("face-workers must be 0 or more, face-threads at least 1 and max-image-pixels at least 1000000")
	}
	if c.AnalysisRateLimit < 1 || c.AnalysisQueue < 0 {
		return errors.New("analysis-rate-limit must be at least 1 and analysis-queue 0 or more")
	}
	if c.JobTimeout < time.Second {
		return errors.New("job-timeout must be at least 1s")
	}
	if c.MatchThreshold < 1 || c.MatchThreshold > 100 || c.ReviewThreshold < 0 || c.ReviewThreshold > c.MatchThreshold {
		return errors.New("match-threshold must be 1-100 and review-threshold between 0 and match-threshold")
	}
	if c.SpoofReview < 0 || c.SpoofReview > 100 {
		return errors.New("spoof-review must be 0-100")
	}
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if _, err := netip.ParsePrefix(f); err != nil {
			if _, err := netip.ParseAddr(f); err != nil {
				return fmt.Errorf("trusted-proxies: %q is neither an address nor a CIDR prefix", f)
			}
		}
	}
	if c.TraceSample < 0 || c.TraceSample > 1 {
		return errors.New("trace-sample must be between 0 and 1")
	}
	if !slices.Contains([]string{"all", "errors", "off"}, c.AccessLog) {
		return errors.New("access-log must be all, errors or off")
	}
	if !slices.Contains([]string{"off", "rejections", "high_risk", "all"}, c.FourEyes) {
		return errors.New("four-eyes must be off, rejections, high_risk or all")
	}
	if c.MinAge < 0 || c.MaxAttempts < 1 || c.Retention < 0 {
		return errors.New("min-age must be 0 or more, max-attempts at least 1 and retention 0 or more")
	}
	for _, t := range strings.Split(c.DocumentTypes, ",") {
		if !slices.Contains([]string{"passport", "id_card", "residence_permit", "visa", "drivers_license"}, t) {
			return fmt.Errorf("document-types: unknown type %q (passport, id_card, residence_permit, visa, drivers_license)", t)
		}
	}
	if c.LivenessChallenges != "" {
		if c.Mode != ModeDev {
			return errors.New("liveness-challenges fixes what must stay random: dev mode only")
		}
		for _, ch := range strings.Split(c.LivenessChallenges, ",") {
			if !slices.Contains([]string{"turn_left", "turn_right", "look_up", "blink", "smile", "come_closer", "light"}, ch) {
				return fmt.Errorf("liveness-challenges: unknown challenge %q", ch)
			}
		}
	}
	if c.MasterKeyFile != "" && c.MasterKey != "" {
		return errors.New("set master-key-file or master-key, not both")
	}
	if c.Mode == ModeProduction {
		if c.MasterKeyFile == "" && c.MasterKey == "" {
			return errors.New("production mode needs a master key: set KYCD_MASTER_KEY_FILE (generate one with: kycd keygen > master.key)")
		}
		if c.Mail == "dev" {
			return errors.New("production mode needs real mail: set KYCD_MAIL=smtp://user:pass@host:port")
		}
		if pu.Scheme != "https" {
			return errors.New("production mode needs an https public-url: session cookies are Secure")
		}
	}
	return nil
}

// Loopback reports whether a listen host reaches this machine only.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Usage writes every option with its flag, environment variable and default.
func Usage(w io.Writer, command string) {
	fmt.Fprintf(w, "Usage: kycd %s [options]\n\n", command)
	fmt.Fprintf(w, "Each option is read, last one winning, from its default, the JSON file named by\n")
	fmt.Fprintf(w, "--config or KYCD_CONFIG (keys like data_dir), the environment and the flag.\n")
	fmt.Fprintf(w, "Options marked * may also be read from a file named by <ENV>_FILE.\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  --config FILE\tKYCD_CONFIG\t\tJSON file of settings\n")
	for _, o := range options {
		star := ""
		if o.secret {
			star = "*"
		}
		dflt := o.dflt
		if dflt != "" {
			dflt = "(default " + dflt + ")"
		}
		fmt.Fprintf(tw, "  --%s\t%s%s\t%s\t%s\n", o.name, o.env(), star, dflt, o.help)
	}
	tw.Flush()
}
