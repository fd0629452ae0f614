// Read-model collections and their indexes (the services also ensure these at boot).
db = db.getSiblingDB('concert');
db.createCollection('balances');
db.createCollection('seats');
db.createCollection('reservations');
db.createCollection('relay_checkpoints');
db.seats.createIndex({ concertId: 1, date: 1, seatNumber: 1 }, { unique: true });
db.reservations.createIndex({ userId: 1 });
