package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kycd/kycd/internal/aadhaar"
	"github.com/kycd/kycd/internal/account"
	"github.com/kycd/kycd/internal/api"
	"github.com/kycd/kycd/internal/blob"
	"github.com/kycd/kycd/internal/config"
	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/face"
	"github.com/kycd/kycd/internal/hosted"
	"github.com/kycd/kycd/internal/journey"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/liveness"
	"github.com/kycd/kycd/internal/mail"
	"github.com/kycd/kycd/internal/metrics"
	"github.com/kycd/kycd/internal/models"
	"github.com/kycd/kycd/internal/password"
	"github.com/kycd/kycd/internal/queue"
	"github.com/kycd/kycd/internal/raster"
	"github.com/kycd/kycd/internal/rotate"
	"github.com/kycd/kycd/internal/seal"
	"github.com/kycd/kycd/internal/store"
	"github.com/kycd/kycd/internal/tracing"
	"github.com/kycd/kycd/internal/web"
	"github.com/kycd/kycd/internal/webhook"
)

// App is a running kycd: its dependencies, opened and checked.
type App struct {
	Config   *config.Config
	Log      *slog.Logger
	DB       *store.DB
	Blobs    blob.Store
	Keyring  *seal.Keyring
	Queue    *queue.Queue
	API      *api.Server
	Accounts *account.Service
	Faces    *face.Engine     // nil when the models are not installed
	Metrics  *metrics.Metrics // nil unless --metrics-addr is set
}

// Open prepares everything Serve runs: it checks the data directory, loads
// or (in dev mode) creates the master key, connects to and migrates the
// database, reaches the blob store, and builds the job queue and the HTTP
// API. Each failure says what to fix.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	if err := checkDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	keyring, err := loadKeyring(cfg, log)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{MaxConns: cfg.DBMaxConns, Sealer: keyring})
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			db.Close()
		}
	}()
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	if anchored, err := db.AnchorAuditHead(ctx); err != nil {
		return nil, err
	} else if anchored {
		log.Warn("anchored the audit trail's head for the first time: removals of the newest events before now cannot be detected")
	}
	var m *metrics.Metrics
	if cfg.MetricsAddr != "" {
		m = metrics.New(Version, db.SQL())
	}
	sealed, err := blob.Open(ctx, cfg.BlobURL, keyring)
	if err != nil {
		return nil, err
	}
	blobs := m.Blobs(sealed)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := blobs.Ping(pingCtx); err != nil {
		return nil, fmt.Errorf("blob store %s: %w", cfg.BlobURL, err)
	}
	modelCheck := &models.Checker{Dir: cfg.ModelsDir}
	var faces *face.Engine
	if err := modelCheck.Ping(ctx); err != nil {
		log.Warn("models are not installed: the face routes are off and /readyz answers 503", "err", err)
	} else if faces, err = face.New(cfg.ModelsDir, face.Options{Workers: cfg.FaceWorkers, Threads: cfg.FaceThreads}); err != nil {
		return nil, err
	}

	skipText := false
	if faces != nil {
		if err := document.CheckOCR(); err != nil {
			skipText = true
			log.Warn("Tesseract is not installed (apt-get install tesseract-ocr-eng): documents are read from their MRZ and barcode only", "err", err)
		} else if os.Getenv("OMP_THREAD_LIMIT") == "" {
			log.Warn("OMP_THREAD_LIMIT is not set: Tesseract will start a thread per core for every document; set it to 1")
		}
	}

	// The services enqueue on an insert-only queue, so they exist before
	// the workers that use them; the working queue is built last.
	var middleware []rivertype.Middleware
	if cfg.OTLPEndpoint != "" {
		middleware = append(middleware, tracing.JobMiddleware())
	}
	inserter, err := queue.New(db, nil, queue.Options{Logger: log, Middleware: middleware})
	if err != nil {
		return nil, err
	}
	hooks := webhook.New(db, keyring, inserter, webhook.Options{AllowPrivate: cfg.WebhookAllowPrivate, Metrics: m})
	if cfg.WebhookAllowPrivate {
		log.Warn("webhooks may reach private and loopback addresses (--webhook-allow-private): an admin's webhook can reach services inside this network")
	}
	lv := livenessService(cfg, db, faces, blobs, keyring, log, m)
	aadhaarKeys, err := aadhaarKeys(cfg.AadhaarCerts)
	if err != nil {
		return nil, err
	}
	analyzer := &document.Analyzer{Faces: faces, Limits: raster.Limits{MaxPixels: cfg.MaxImagePixels}, SkipText: skipText, AadhaarKeys: aadhaarKeys}
	journeys := journey.New(journey.Deps{DB: db, Blobs: blobs, Keyring: keyring, Faces: faces, Liveness: lv, Analyzer: analyzer,
		Queue: inserter, Webhooks: hooks}, journey.Options{Rules: rules(cfg), Logger: log, Limits: raster.Limits{MaxPixels: cfg.MaxImagePixels},
		Metrics: m})

	workers := river.NewWorkers()
	river.AddWorker(workers, &queue.DeleteBlobWorker{Blobs: blobs})
	river.AddWorker(workers, &queue.DeletePrefixWorker{Blobs: blobs})
	river.AddWorker(workers, &webhook.DeliverWorker{S: hooks})
	river.AddWorker(workers, &journey.RetentionWorker{S: journeys})
	if faces != nil {
		river.AddWorker(workers, &journey.AnalyzeWorker{S: journeys})
		river.AddWorker(workers, &journey.ProcessWorker{S: journeys})
	}
	var smtp *mail.SMTP
	if cfg.Mail != "dev" {
		if smtp, err = mail.ParseSMTP(cfg.Mail); err != nil {
			return nil, err
		}
		river.AddWorker(workers, &mail.SendWorker{SMTP: smtp, Keyring: keyring})
	}
	if m != nil {
		middleware = append(middleware, m.JobMiddleware())
	}
	q, err := queue.New(db, workers, queue.Options{Workers: cfg.JobWorkers, Logger: log, JobTimeout: cfg.JobTimeout, Middleware: middleware,
		Periodic: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(journey.RetentionPeriod),
			func() (river.JobArgs, *river.InsertOpts) { return journey.RetentionArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}})
	if err != nil {
		return nil, err
	}
	var sender mail.Sender = mail.DevSender{}
	if smtp != nil {
		sender = &mail.QueueSender{Queue: inserter, Keyring: keyring}
	}
	accounts := account.New(db, sender, keyring, account.Options{
		Password:  passwordParams(cfg),
		PublicURL: cfg.PublicURL,
		Logger:    log,
	})

	links := hosted.New(db, journeys, keyring, hosted.Options{PublicURL: cfg.PublicURL})
	proxies, err := api.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	srv := api.New(api.Options{
		Logger:            log,
		Version:           Version,
		MaxBodyBytes:      cfg.MaxBodyBytes,
		HSTS:              strings.HasPrefix(cfg.PublicURL, "https://"),
		Checks:            map[string]api.Checker{"database": db, "blobs": blobs, "models": modelCheck},
		Accounts:          accounts,
		DB:                db,
		Cookie:            cookieConfig(cfg.PublicURL),
		DevMailbox:        sender.Dev(),
		AuthRateLimit:     cfg.AuthRateLimit,
		TrustedProxies:    proxies,
		AccessLog:         cfg.AccessLog,
		Metrics:           m,
		Faces:             faces,
		Documents:         documentsFor(faces, analyzer),
		MaxImagePixels:    cfg.MaxImagePixels,
		AnalysisSlots:     cfg.FaceWorkers,
		AnalysisQueue:     cfg.AnalysisQueue,
		AnalysisRateLimit: cfg.AnalysisRateLimit,
		Liveness:          lv,
		Journey:           journeys,
		Hosted:            links,
		Webhooks:          hooks,
		PublicURL:         cfg.PublicURL,
	})
	web.Register(srv.Mux(), web.Options{Accounts: accounts, DB: db, Cookie: cookieConfig(cfg.PublicURL),
		DevMailbox: sender.Dev(), Logger: log, Journey: journeys, Hosted: links})
	ok = true
	return &App{Config: cfg, Log: log, DB: db, Blobs: blobs, Keyring: keyring, Queue: q, API: srv, Accounts: accounts, Faces: faces, Metrics: m}, nil
}

// documentsFor is the document reader the API serves: none without the
// face engine (the models are not installed), like the face routes.
func documentsFor(faces *face.Engine, a *document.Analyzer) *document.Analyzer {
	if faces == nil {
		return nil
	}
	return a
}

// rules are the decision rules from the configuration.
func rules(cfg *config.Config) journey.Rules {
	split := func(s string) []string {
		var out []string
		for _, x := range strings.Split(s, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
		return out
	}
	return journey.Rules{Rules: kyc.Rules{MatchThreshold: float64(cfg.MatchThreshold), ReviewThreshold: float64(cfg.ReviewThreshold),
		MinAge: cfg.MinAge, DocumentTypes: split(cfg.DocumentTypes), Countries: split(cfg.Countries), SpoofReview: float64(cfg.SpoofReview)},
		MaxAttempts: cfg.MaxAttempts, Retention: cfg.Retention, FourEyes: cfg.FourEyes}
}

// livenessService is nil without the face engine.
func livenessService(cfg *config.Config, db *store.DB, faces *face.Engine, blobs blob.Store, keyring *seal.Keyring, log *slog.Logger, m *metrics.Metrics) *liveness.Service {
	if faces == nil {
		return nil
	}
	var fixed []liveness.Challenge
	for _, c := range strings.Split(cfg.LivenessChallenges, ",") {
		if c != "" {
			fixed = append(fixed, liveness.Challenge(c))
		}
	}
	return liveness.NewService(db, faces, blobs, keyring, liveness.Options{Fixed: fixed, Logger: log,
		Limits: raster.Limits{MaxPixels: cfg.MaxImagePixels}, Metrics: m})
}

func passwordParams(cfg *config.Config) password.Params {
	return password.Params{MemoryKiB: uint32(cfg.Argon2MemoryKiB), Time: uint32(cfg.Argon2Time), Threads: uint8(cfg.Argon2Threads)}
}

// cookieConfig picks the session cookie: __Host- and Secure wherever a
// browser honours it (HTTPS, or http://localhost in development).
func cookieConfig(publicURL string) api.CookieConfig {
	u, err := url.Parse(publicURL)
	if err == nil && (u.Scheme == "https" || u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1") {
		return api.CookieConfig{Name: "__Host-kycd_session", Link: "__Host-kycd_link", Secure: true}
	}
	return api.CookieConfig{Name: "kycd_session", Link: "kycd_link", Secure: false}
}

// Close releases what Open acquired.
func (a *App) Close() error {
	if a.Faces != nil {
		a.Faces.Close()
	}
	return a.DB.Close()
}

// checkDataDir makes sure the data directory exists and is writable.
func checkDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data-dir %s cannot be created: %w", dir, errors.Unwrap(err))
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("data-dir %s is not writable: %w", dir, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// loadKeyring loads the master key from the configuration, or in dev mode
// creates one under the data directory, warning loudly that it does.
func loadKeyring(cfg *config.Config, log *slog.Logger) (*seal.Keyring, error) {
	var key *seal.Key
	var err error
	switch {
	case cfg.MasterKey != "":
		key, err = seal.ParseKey(cfg.MasterKey)
	case cfg.MasterKeyFile != "":
		key, err = seal.LoadKeyFile(cfg.MasterKeyFile)
	case cfg.Mode == config.ModeDev:
		path := filepath.Join(cfg.DataDir, "master.key")
		var created bool
		key, created, err = seal.LoadOrCreateKeyFile(path)
		if created {
			log.Warn("GENERATED A NEW MASTER KEY for dev mode: back it up, or every stored image is lost with it; production mode refuses generated keys",
				"path", path, "key_id", key.ID())
		} else if err == nil {
			log.Warn("using the dev-mode master key from the data directory; set KYCD_MASTER_KEY_FILE in production", "path", path, "key_id", key.ID())
		}
	default:
		err = errors.New("no master key configured")
	}
	if err != nil {
		return nil, err
	}
	return seal.NewKeyring(key), nil
}

// Serve runs kycd until ctx ends or the process gets SIGINT or SIGTERM, then
// shuts down gracefully: it stops accepting requests, lets running requests
// and jobs finish (up to the shutdown timeout) and closes the database. When
// ready is not nil, the listening address is sent on it once serving.
func Serve(ctx context.Context, cfg *config.Config, log *slog.Logger, ready chan<- string) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.OTLPEndpoint != "" {
		shutdown, err := tracing.Setup(ctx, cfg.OTLPEndpoint, "kycd", Version, cfg.TraceSample)
		if err != nil {
			return err
		}
		defer func() {
			// Send what is buffered, without holding the shutdown long.
			flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := shutdown(flush); err != nil {
				log.Warn("traces not all sent at shutdown", "err", err)
			}
		}()
		log.Info("exporting traces over OTLP", "sample", cfg.TraceSample)
	}
	a, err := Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, errors.Unwrap(err))
	}
	if err := a.Queue.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	server := &http.Server{
		Handler:           a.API.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 2)
	go func() { errc <- server.Serve(ln) }()
	if a.Metrics != nil {
		// Metrics on their own address (keep it off the public network):
		// scrapers need no account, and the public API shows none.
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			server.Close()
			a.Queue.Stop(context.Background())
			return fmt.Errorf("listen on %s (metrics): %w", cfg.MetricsAddr, errors.Unwrap(err))
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.Metrics.Handler())
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- msrv.Serve(mln) }()
		defer msrv.Close()
		log.Info("metrics serving", "addr", mln.Addr().String())
	}
	dialect, _ := store.ParseURL(cfg.DatabaseURL)
	log.Info("kycd serving", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "mode", cfg.Mode,
		"version", Version, "database", dialect.Dialect, "blob_store", strings.SplitN(cfg.BlobURL, ":", 2)[0],
		"job_workers", cfg.JobWorkers)
	if cfg.Mode == config.ModeDev {
		log.Warn("DEV MODE: for trying kycd on this machine only. It listens on loopback, shows every account's e-mail codes " +
			"at /dev/mailbox to anyone who can reach it, and may keep its master key in the data directory. " +
			"Serve real applicants with --mode production.")
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-errc:
		a.Queue.Stop(context.Background())
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	httpErr := server.Shutdown(shutdownCtx)
	queueErr := a.Queue.Stop(shutdownCtx)
	if err := errors.Join(httpErr, queueErr); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// migrate applies the migrations and reports the schema version.
func migrate(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	db, err := openMigrated(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	log.Info("database migrated", "dialect", db.Dialect(), "schema_version", v)
	return nil
}

// auditVerify implements `kycd audit verify`: it walks the hash chain of
// the audit trail and fails at the first event that was changed, removed
// or inserted, then checks that the newest event is the head sealed with
// the master key (so removing the newest events shows too).
func auditVerify(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer) error {
	keyring, err := loadKeyring(cfg, log)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg, keyring)
	if err != nil {
		return err
	}
	defer db.Close()
	bad, n, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if bad != 0 {
		return fmt.Errorf("the audit trail is broken at event %d of %d: it was changed, removed or inserted after the fact", bad, n)
	}
	if err := db.VerifyAuditHead(ctx); err != nil {
		return fmt.Errorf("the audit trail is broken: %w", err)
	}
	fmt.Fprintf(stdout, "audit trail intact: %d events, every hash chained to the one before, the newest one the sealed head\n", n)
	return nil
}

// keysRotate implements `kycd keys rotate --new-key-file F`: everything
// sealed under the configured master key is re-wrapped under the new one.
func keysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	own, rest, err := splitFlags(args, "new-key-file")
	if err != nil {
		return err
	}
	if own["new-key-file"] == "" {
		return errors.New("usage: kycd keys rotate --new-key-file FILE [options] (make FILE with: kycd keygen > FILE; chmod 600 FILE)")
	}
	cfg, log, err := loadConfig("keys rotate", rest, stdout, stderr)
	if err != nil {
		return err
	}
	next, err := seal.LoadKeyFile(own["new-key-file"])
	if err != nil {
		return err
	}
	current, err := loadKeyring(cfg, log)
	if err != nil {
		return err
	}
	if current.PrimaryID() == next.ID() {
		return errors.New("the new key is the key in use")
	}
	db, err := openMigrated(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	raw, err := blob.OpenRaw(ctx, cfg.BlobURL)
	if err != nil {
		return err
	}
	rotated := current.Rotated(next)
	c, err := rotate.Run(ctx, db, raw, rotated, stderr)
	if err != nil {
		return fmt.Errorf("rotation stopped (run it again to finish; nothing is lost): %w", err)
	}
	// The reviewers' search terms are keyed by the master key: rebuilt
	// under the new one.
	n, err := journey.New(journey.Deps{DB: db, Keyring: rotated}, journey.Options{}).Reindex(ctx)
	if err != nil {
		return fmt.Errorf("rebuild the search terms (run the rotation again to finish): %w", err)
	}
	fmt.Fprintf(stderr, "rebuilt the search terms of %d cases\n", n)
	fmt.Fprintf(stdout, "re-wrapped %d objects and %d database values under key %s (%d were already under it)\n"+
		"now point KYCD_MASTER_KEY_FILE at %s and restart every kycd process; keep the old key with your backups\n",
		c.Objects, c.Values, next.ID(), c.Skipped, own["new-key-file"])
	return nil
}

// openMigrated opens the database with a small pool, for a command, and
// applies the migrations. A command that appends audit events or checks
// the trail's head passes the keyring.
func openMigrated(ctx context.Context, cfg *config.Config, keyring *seal.Keyring) (*store.DB, error) {
	var sealer store.Sealer
	if keyring != nil {
		sealer = keyring
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{MaxConns: 2, Sealer: sealer})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// aadhaarKeys are UIDAI's published certificates and the operator's
// (--aadhaar-certs, comma-separated PEM files).
func aadhaarKeys(files string) ([]aadhaar.Key, error) {
	keys := aadhaar.UIDAIKeys()
	for f := range strings.SplitSeq(files, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--aadhaar-certs: %w", err)
		}
		k, err := aadhaar.ParseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("--aadhaar-certs: %s: %w", f, err)
		}
		keys = append(keys, k...)
	}
	return keys, nil
}
