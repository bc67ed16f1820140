console.log("cdf-emulator");
