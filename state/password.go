package state

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// PasswordCost is the bcrypt cost HashPassword uses.
const PasswordCost = bcrypt.DefaultCost

// HashPassword returns a salted bcrypt hash of password. The password
// itself is never stored. bcrypt reads at most 72 bytes; longer passwords
// are refused rather than silently cut.
func HashPassword(password string) (string, error) {
	return HashPasswordCost(password, PasswordCost)
}

// HashPasswordCost is HashPassword with a chosen bcrypt cost (4 to 31);
// tests use the lowest to stay fast.
func HashPasswordCost(password string, cost int) (string, error) {
	if password == "" {
		return "", fmt.Errorf("the password is empty: %w", ErrInvalid)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if errors.Is(err, bcrypt.ErrPasswordTooLong) {
		return "", fmt.Errorf("the password is longer than 72 bytes: %w", ErrInvalid)
	}
	if err != nil {
		return "", fmt.Errorf("hashing password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches a hash made by
// HashPassword. An empty hash (an account without a password) matches
// nothing.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
