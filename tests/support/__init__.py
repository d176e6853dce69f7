"""Tests of the test servers and harnesses themselves (support code), apart from the tests of apicli."""
