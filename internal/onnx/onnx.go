// Package onnx loads ONNX Runtime, the C library that runs kycd's models.
// The runtime keeps one environment per process; Init sets it up once.
package onnx

import (
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

var (
	once    sync.Once
	initErr error
	libUsed string
)

// Init loads the ONNX Runtime shared library at libPath and creates the
// process's environment. Later calls return the first call's result; a call
// naming another library is an error.
func Init(libPath string) error {
	once.Do(func() {
		libUsed = libPath
		ort.SetSharedLibraryPath(libPath)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			initErr = fmt.Errorf("load ONNX Runtime from %s: %w", libPath, err)
		}
	})
	if initErr == nil && libPath != libUsed {
		return fmt.Errorf("ONNX Runtime already loaded from %s, not %s", libUsed, libPath)
	}
	return initErr
}

// Version is the loaded runtime's version, such as "1.30.0".
func Version() string {
	if !ort.IsInitialized() {
		return ""
	}
	return ort.GetVersion()
}
