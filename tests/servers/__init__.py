"""Tests of the test servers and harnesses themselves, apart from the tests of apicli."""
