package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/kycd/kycd/internal/account"
	"github.com/kycd/kycd/internal/kyc"
	"github.com/kycd/kycd/internal/mail"
)

// userCreate implements `kycd user create --email E --password-file F
// --role R[,R...]`: a confirmed account, typically the first admin. The
// password comes from a file (or - for standard input), never from a flag
// that would show in the process list.
func userCreate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	own, rest, err := splitFlags(args, "email", "password-file", "role")
	if err != nil {
		return err
	}
	email, pwFile, roleList := own["email"], own["password-file"], own["role"]
	if email == "" || pwFile == "" {
		return errors.New("usage: kycd user create --email E --password-file F [--role applicant|reviewer|admin[,...]] [options]")
	}
	if roleList == "" {
		roleList = string(kyc.RoleApplicant)
	}
	roles, err := kyc.ParseRoles(strings.Split(roleList, ","), kyc.UserRoles)
	if err != nil {
		return err
	}
	var pw []byte
	if pwFile == "-" {
		pw, err = io.ReadAll(io.LimitReader(stdin, 4096))
	} else {
		pw, err = os.ReadFile(pwFile)
	}
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	cfg, log, err := loadConfig("user create", rest, stdout, stderr)
	if err != nil {
		return err
	}
	keyring, err := loadKeyring(cfg, log)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg, keyring)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := account.New(db, mail.DevSender{}, keyring, account.Options{Password: passwordParams(cfg)})
	u, err := svc.CreateUser(ctx, email, strings.TrimRight(string(pw), "\r\n"), roles)
	if err != nil {
		return fmt.Errorf("create user: %s", kyc.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "created %s with roles %s\n", u.ID, roleList)
	return nil
}

// splitFlags takes a command's own --name value (or --name=value) flags out
// of args and leaves the rest for the configuration.
func splitFlags(args []string, names ...string) (map[string]string, []string, error) {
	own := map[string]string{}
	var rest []string
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") || !slices.Contains(names, name) {
			rest = append(rest, args[i])
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("--%s needs a value", name)
			}
			i++
			value = args[i]
		}
		own[name] = value
	}
	return own, rest, nil
}
