const MAPS_KEY = "AIzaU-giYizYpDEKt4wdTl4wxEv4nW5lx_6uFVv";
